/**
 * Renders the bootstrap shell scripts from the template files beside this
 * module, at synth time (Terraform never reads these files).
 *
 * A script is: a header (shebang, `set -euo pipefail`, one `readonly` line
 * per value), then template files in order. A line `@@NAME@@` in a template
 * is replaced by the block of that name (kubeadm YAML, an embedded helper).
 *
 * Values known only at apply time (the Elastic IP) are given as Terraform
 * references. The result has two forms of the same script:
 * - `text`: what the node receives, each apply-time value shown as its example;
 * - `terraform`: the string for a Terraform attribute, with Terraform's own
 *   template syntax (`${`, `%{`) escaped and each apply-time value as its reference.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** A value Terraform fills in at apply time. */
export interface ApplyTimeValue {
  /** The Terraform reference (a CDKTF token such as `eip.publicIp`). */
  readonly reference: string;
  /** What it looks like, for golden files and shellcheck. */
  readonly example: string;
}

export type ScriptValue = string | number | ApplyTimeValue;

export interface ScriptSpec {
  /** One line saying what the script does. */
  readonly description: string;
  /** Values defined as `readonly NAME='value'` in the header, in this order. */
  readonly values: Readonly<Record<string, ScriptValue>>;
  /** Template files (names inside this folder), concatenated in order. */
  readonly templates: readonly string[];
  /** Blocks substituted for `@@NAME@@` lines. */
  readonly blocks?: Readonly<Record<string, string>>;
}

export interface RenderedScript {
  readonly text: string;
  readonly terraform: string;
}

export const TEMPLATE_DIR = __dirname;

export function readTemplate(name: string): string {
  return readFileSync(path.join(TEMPLATE_DIR, name), "utf8");
}

/** Single-quotes a value for the shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Escapes Terraform's template syntax so Terraform passes the text through unchanged. */
export function escapeTerraformTemplate(text: string): string {
  // Replacer functions: in a replacement string, "$$" would mean a single "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/** The inverse of escapeTerraformTemplate, as Terraform evaluates a string with no references. */
export function unescapeTerraformTemplate(text: string): string {
  return text.replace(/\$\$\{/g, () => "${").replace(/%%\{/g, () => "%{");
}

const sentinel = (name: string) => `@@APPLY_TIME_${name}@@`;

function isApplyTime(v: ScriptValue): v is ApplyTimeValue {
  return typeof v === "object";
}

export function renderScript(spec: ScriptSpec): RenderedScript {
  const header = [
    "#!/bin/bash",
    `# ${spec.description}`,
    "# Rendered by the cluster stack; on a node its output is in /var/log/cloud-init-output.log.",
    "set -euo pipefail",
    ...Object.entries(spec.values).map(([name, v]) => {
      if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`bad shell variable name ${name}`);
      return `readonly ${name}=${isApplyTime(v) ? `'${sentinel(name)}'` : shellQuote(String(v))}`;
    }),
  ].join("\n");

  const blocks = spec.blocks ?? {};
  const used = new Set<string>();
  const body = spec.templates
    .map((t) =>
      readTemplate(t).replace(/^@@([A-Z_]+)@@$/gm, (_m, name: string) => {
        const block = blocks[name];
        if (block === undefined) throw new Error(`template ${t} needs block ${name}, which was not given`);
        used.add(name);
        return block.trimEnd();
      }),
    )
    .join("\n");
  const unused = Object.keys(blocks).filter((b) => !used.has(b));
  if (unused.length > 0) throw new Error(`blocks never used by ${spec.templates.join(", ")}: ${unused.join(", ")}`);

  const withSentinels = `${header}\n\n${body.trimEnd()}\n`;
  let text = withSentinels;
  let terraform = escapeTerraformTemplate(withSentinels);
  for (const [name, v] of Object.entries(spec.values)) {
    if (!isApplyTime(v)) continue;
    text = text.replace(sentinel(name), v.example);
    terraform = terraform.replace(sentinel(name), v.reference);
  }
  return { text, terraform };
}
