/**
 * Evaluates a synthesized postcondition (its condition and its error message)
 * with Terraform itself, `terraform console` in an empty folder: no provider,
 * no network. `self` and any data-source address the expressions name are
 * replaced by locals holding the answer a test gives for them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface Postcondition {
  readonly condition: string;
  readonly error_message: string;
}

export interface Evaluated {
  /** The condition's value: false means the plan fails with `message`. */
  readonly holds: boolean;
  readonly message: string;
}

/** The postconditions of a synthesized resource or data source body. */
export function postconditionsOf(body: Record<string, unknown>): Postcondition[] {
  return ((body.lifecycle as { postcondition?: Postcondition[] } | undefined)?.postcondition ?? []).slice();
}

/**
 * Evaluates Terraform templates (`"${…}"` strings as the synthesized JSON
 * holds them). `self` is a resource's or data source's attributes as the
 * provider reports them; `others` maps an address (`data.type.name`) or a
 * local (`local.name`) to its value. Returns each template's value.
 */
export function evaluateTemplates(
  terraform: string,
  templates: Record<string, string>,
  bindings: { self?: unknown; others?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const dir = mkdtempSync(path.join(tmpdir(), "condition-eval-"));
  const cli = path.join(dir, "cli.tfrc");
  writeFileSync(cli, "");
  const others = bindings.others ?? {};
  const locals: Record<string, unknown> = { self: bindings.self ?? null };
  const substitute = (text: string) => {
    let out = text.replace(/\bself\./g, "local.self.");
    Object.keys(others).forEach((address, i) => {
      const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      out = out.replace(new RegExp(`${escaped}(?=[.\\[)\\s,}]|$)`, "g"), `local.bound_${i}`);
    });
    return out;
  };
  Object.values(others).forEach((value, i) => (locals[`bound_${i}`] = value));
  const keys = Object.keys(templates);
  keys.forEach((k, i) => (locals[`template_${i}`] = substitute(templates[k] as string)));
  writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ locals }));
  // base64 of the JSON: console prints it as a plain quoted string, with none of HCL's escapes to undo.
  const query = `base64encode(jsonencode({ ${keys.map((_k, i) => `t${i} = local.template_${i}`).join(", ")} }))\n`;
  let out: string;
  try {
    out = execFileSync(terraform, ["console"], {
      cwd: dir,
      input: query,
      encoding: "utf8",
      env: { ...process.env, TF_CLI_CONFIG_FILE: cli, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const json = JSON.parse(Buffer.from(JSON.parse(out.trim()) as string, "base64").toString("utf8")) as Record<string, unknown>;
  return Object.fromEntries(keys.map((k, i) => [k, json[`t${i}`]]));
}

/** A postcondition's verdict and message, for `self` (and `others`, see evaluateTemplates). */
export function evaluatePostcondition(terraform: string, check: Postcondition, self: unknown, others: Record<string, unknown> = {}): Evaluated {
  const r = evaluateTemplates(terraform, { holds: check.condition, message: check.error_message }, { self, others });
  return { holds: r.holds as boolean, message: r.message as string };
}
