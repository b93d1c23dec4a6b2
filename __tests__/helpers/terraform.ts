/**
 * Terraform's own configuration loader as a test oracle.
 *
 * `terraform init -backend=false -plugin-dir=<empty folder>` parses and
 * decodes every file of a stack and then looks for providers only in the
 * empty folder, so nothing is downloaded and the only error a valid
 * configuration can produce is "provider not available". Every other
 * diagnostic is a configuration error Terraform would stop a deploy on.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { buildApp } from "../../main";
import { withPlainStackTraces } from "./plain-stack-traces";
import { STACK_NAMES } from "../../lib/stack-base";
import { testConfig } from "./synth";

export interface LoaderVerdict {
  /** Diagnostics other than a missing provider, as "summary: detail (file:line)". */
  readonly errors: string[];
  /** Providers Terraform looked for and did not find (it got past the configuration to reach them). */
  readonly missingProviders: string[];
}

interface Diagnostic {
  severity: string;
  summary: string;
  detail?: string;
  range?: { filename: string; start: { line: number } };
}

const MISSING_PROVIDER = /provider registry\.terraform\.io\/(\S+) was not found in any of the\s+search locations/;

/** Runs Terraform's configuration loading in `stackDir` and sorts its diagnostics. */
export function loadWithTerraform(terraform: string, stackDir: string): LoaderVerdict {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "tf-load-"));
  const pluginDir = path.join(scratch, "plugins");
  mkdirSync(pluginDir);
  // A CLI configuration of our own: a developer's ~/.terraformrc (mirrors, a plugin cache) must not change the verdict.
  const cliConfig = path.join(scratch, "terraformrc");
  writeFileSync(cliConfig, "");
  const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_DATA_DIR: path.join(scratch, "data"), CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
  delete env.TF_PLUGIN_CACHE_DIR;
  let out: string;
  try {
    out = execFileSync(terraform, ["init", "-json", "-backend=false", `-plugin-dir=${pluginDir}`, "-input=false"], { cwd: stackDir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? "");
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const errors: string[] = [];
  const missingProviders: string[] = [];
  for (const line of out.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line) as { type?: string; diagnostic?: Diagnostic };
    const d = message.type === "diagnostic" ? message.diagnostic : undefined;
    if (!d || d.severity !== "error") continue;
    const missing = d.summary === "Failed to query available provider packages" ? MISSING_PROVIDER.exec(d.detail ?? "") : null;
    if (missing?.[1]) {
      missingProviders.push(missing[1]);
      continue;
    }
    const where = d.range ? ` (${d.range.filename}:${d.range.start.line})` : "";
    errors.push(`${d.summary}: ${d.detail ?? ""}${where}`);
  }
  return { errors, missingProviders: missingProviders.sort() };
}

/** Synthesizes the whole app for these overrides into a fresh folder, as `cdktf synth` would; returns the folder. */
export function synthToDirectory(context: Record<string, unknown>): string {
  const outdir = mkdtempSync(path.join(os.tmpdir(), "cdktf-out-"));
  withPlainStackTraces(() => {
    const app = new App({ outdir, stackTraces: false });
    buildApp(app, testConfig(context));
    app.synth();
  });
  return outdir;
}

export const STACKS = Object.values(STACK_NAMES);

export function stackDirectory(outdir: string, stack: string): string {
  return path.join(outdir, "stacks", stack);
}

