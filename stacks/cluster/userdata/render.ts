/**
 * Renders the bootstrap shell scripts from the template files beside this
 * module, at synth time (Terraform never reads these files).
 *
 * A script is: a header (shebang, `set -euo pipefail`, one `readonly` line
 * per value), then template files in order. A line `@@NAME@@` in a template
 * is replaced by the block of that name (kubeadm YAML, an embedded helper).
 *
 * Every value is known at synth time: what a node learns later (its
 * addresses, the secrets) it reads itself, from instance metadata and SSM.
 * So the rendered script is a literal with no Terraform reference in it.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

export type ScriptValue = string | number;

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

export const TEMPLATE_DIR = __dirname;

export function readTemplate(name: string): string {
  return readFileSync(path.join(TEMPLATE_DIR, name), "utf8");
}

/** Single-quotes a value for the shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The script's text, as the node receives it. */
export function renderScript(spec: ScriptSpec): string {
  const header = [
    "#!/bin/bash",
    `# ${spec.description}`,
    "# Rendered by the cluster stack; on a node its output is in /var/log/cloud-init-output.log.",
    "set -euo pipefail",
    ...Object.entries(spec.values).map(([name, v]) => {
      if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`bad shell variable name ${name}`);
      return `readonly ${name}=${shellQuote(String(v))}`;
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

  return `${header}\n\n${body.trimEnd()}\n`;
}
