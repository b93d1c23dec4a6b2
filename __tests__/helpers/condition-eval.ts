/**
 * Evaluates a synthesized postcondition (its condition and its error message)
 * with Terraform itself, `terraform console` in an empty folder: no provider,
 * no network. `self` and any data-source address the expressions name are
 * replaced by locals holding the answer a test gives for them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
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
 * `self` is the data source's attributes as the provider reports them;
 * `others` maps an address (`data.type.name`) to its attributes.
 */
export function evaluatePostcondition(terraform: string, check: Postcondition, self: unknown, others: Record<string, unknown> = {}): Evaluated {
  const dir = mkdtempSync(path.join(tmpdir(), "condition-eval-"));
  const cli = path.join(dir, "cli.tfrc");
  writeFileSync(cli, "");
  const locals: Record<string, unknown> = { self };
  const substitute = (text: string) => {
    let out = text.replace(/\bself\./g, "local.self.");
    Object.keys(others).forEach((address, i) => {
      out = out.split(`${address}.`).join(`local.other_${i}.`);
    });
    return out;
  };
  Object.values(others).forEach((value, i) => (locals[`other_${i}`] = value));
  locals.condition = substitute(check.condition);
  locals.message = substitute(check.error_message);
  writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ locals }));
  const out = execFileSync(terraform, ["console"], {
    cwd: dir,
    input: "jsonencode({ holds = local.condition, message = local.message })\n",
    encoding: "utf8",
    env: { ...process.env, TF_CLI_CONFIG_FILE: cli, TF_IN_AUTOMATION: "1" },
  });
  // Console prints an HCL string: JSON-compatible quoting, plus $${ and %%{ escapes.
  const json = (JSON.parse(out.trim()) as string).replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
  return JSON.parse(json) as Evaluated;
}
