/**
 * scripts/setup.sh as a user sees its output: it ends with the next command,
 * keeps a Terraform CLI configuration unless it names a missing file, and
 * writes plain lines (no spinner frames) when its output is not a terminal.
 *
 * The script runs for real under bash, in a scratch copy of the project's
 * scripts folder, with stand-ins on PATH for the commands that would install
 * or download (dpkg-query, terraform, npm, npx). The npx stand-in behaves as
 * `cdktf synth` does towards its output: spinner frames (the braille
 * characters of cdktf's spinner) and one folder per stack.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const SPINNER = /[\u2800-\u28ff]/;

let project: string;
let bin: string;

function stub(name: string, body: string): void {
  const file = path.join(bin, name);
  writeFileSync(file, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(file, 0o755);
}

beforeEach(() => {
  project = mkdtempSync(path.join(os.tmpdir(), "setup-"));
  bin = path.join(project, "stub-bin");
  mkdirSync(path.join(project, "scripts"), { recursive: true });
  mkdirSync(bin);
  for (const f of ["setup.sh", "plugin-cache.sh"]) {
    copyFileSync(path.join(ROOT, "scripts", f), path.join(project, "scripts", f));
    chmodSync(path.join(project, "scripts", f), 0o755);
  }
  stub("dpkg-query", 'echo "install ok installed"');
  stub("terraform", 'echo "Terraform v1.11.0"');
  stub("npm", 'echo "added 706 packages in 50s"');
  stub(
    "npx",
    [
      'printf "%s\\n" "TF_CLI_CONFIG_FILE=${TF_CLI_CONFIG_FILE-<unset>}" "CI=${CI-<unset>}" > npx-env',
      'for f in ⠋ ⠙ ⠹ ⠸; do printf "%s  Synthesizing\\n" "$f"; done',
      'if [ -n "${FAIL_SYNTH:-}" ]; then echo "ERROR [config]: invalid configuration: cluster.workers.count: got 0; must be at least 1"; exit 1; fi',
      'echo "warning: MESH_REGION: the MESH_ prefix is deprecated and will stop working; use K8S_MESH_REGION"',
      "mkdir -p cdktf.out/stacks/network cdktf.out/stacks/cluster cdktf.out/stacks/platform cdktf.out/stacks/apps",
    ].join("\n"),
  );
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

function setup(env: Record<string, string> = {}) {
  const r = spawnSync("bash", [path.join(project, "scripts", "setup.sh")], {
    cwd: project,
    encoding: "utf8",
    env: { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: project, ...env },
  });
  const seen = Object.fromEntries(
    (() => {
      try {
        return readFileSync(path.join(project, "npx-env"), "utf8").trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]);
      } catch {
        return [];
      }
    })(),
  );
  return { ...r, seen };
}

describe("scripts/setup.sh", () => {
  it("ends with the next command to run", () => {
    const r = setup();
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split("\n").slice(-2)).toEqual([
      "Next, with AWS credentials for the target account (README: Prerequisites), deploy everything:",
      "  npm run deploy -- '*'",
    ]);
    expect(r.stdout).toContain(`Synthesized 4 stacks into ${project}/cdktf.out/stacks.`);
  });

  it("prints plain progress and no spinner frames when its output is not a terminal, but keeps warnings", () => {
    const r = setup();
    expect(r.stdout).toContain("Synthesizing the stacks (npx cdktf synth)...");
    expect(r.stdout + r.stderr).not.toMatch(SPINNER);
    expect(r.seen.CI).toBe("true");
    expect(r.stdout).toContain("warning: MESH_REGION: the MESH_ prefix is deprecated and will stop working; use K8S_MESH_REGION");
  });

  it("shows what synth said when it fails, without spinner frames, and stops", () => {
    const r = setup({ FAIL_SYNTH: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("ERROR [config]: invalid configuration: cluster.workers.count: got 0; must be at least 1\n");
    expect(r.stdout).not.toContain("Next,");
  });

  it("keeps a Terraform CLI configuration that exists, and an unset one unset", () => {
    const rc = path.join(project, "terraformrc");
    writeFileSync(rc, 'plugin_cache_dir = "/tmp"\n');
    expect(setup({ TF_CLI_CONFIG_FILE: rc }).seen.TF_CLI_CONFIG_FILE).toBe(rc);
    expect(setup().seen.TF_CLI_CONFIG_FILE).toBe("<unset>");
  });

  it("overrides only a Terraform CLI configuration that names a missing file, and says so", () => {
    const missing = path.join(project, "no-such-terraformrc");
    const r = setup({ TF_CLI_CONFIG_FILE: missing });
    expect(r.seen.TF_CLI_CONFIG_FILE).toBe("/dev/null");
    expect(r.stdout).toContain(`TF_CLI_CONFIG_FILE names a missing file (${missing}): synthesizing without a Terraform CLI configuration`);
  });
});

describe("package.json", () => {
  it("approves the install scripts of the packages that have them, so npm prints no warning about them", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { allowScripts?: Record<string, boolean> };
    const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = [...new Set(Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript).map(([k]) => k.replace(/^.*node_modules\//, "")))].sort();
    expect(withScripts.length).toBeGreaterThan(0);
    expect(Object.keys(pkg.allowScripts ?? {}).sort()).toEqual(withScripts);
  });
});
