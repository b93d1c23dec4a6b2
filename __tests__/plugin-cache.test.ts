/**
 * The shared provider plugin cache (scripts/plugin-cache.sh): where it is,
 * what it puts in the environment of the command it wraps, that Terraform
 * itself takes that folder, and that the project's own commands (setup and
 * `npm run deploy` / `destroy` / `diff`) go through it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { itWith, requireTool } from "./helpers/tools";

const ROOT = path.resolve(__dirname, "..");
const SCRIPT = path.join(ROOT, "scripts/plugin-cache.sh");

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(tmpdir(), "plugin-cache-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** A clean environment: no inherited Terraform or XDG settings. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...extra };
}

function run(args: string[], extra: Record<string, string> = {}, cwd = ROOT) {
  return spawnSync("bash", [SCRIPT, ...args], { cwd, env: env(extra), encoding: "utf8" });
}

/** The environment the wrapped command sees, as KEY=value lines. */
function wrappedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const r = run(["env"], extra);
  expect(r.status).toBe(0);
  return Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

describe("scripts/plugin-cache.sh", () => {
  it("creates one folder per machine under the user's cache directory and prints it", () => {
    const r = run([]);
    const expected = path.join(home, ".cache/k8s-mesh-platform/terraform-plugins");
    expect([r.status, r.stdout.trim()]).toEqual([0, expected]);
    expect(statSync(expected).isDirectory()).toBe(true);
  });

  it("hands the wrapped command the cache folder and lets Terraform use it without a lock file entry", () => {
    const e = wrappedEnv();
    expect(e.TF_PLUGIN_CACHE_DIR).toBe(path.join(home, ".cache/k8s-mesh-platform/terraform-plugins"));
    expect(e.TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE).toBe("true");
  });

  it("follows XDG_CACHE_HOME, keeps a TF_PLUGIN_CACHE_DIR already set, and keeps the lock-file default when asked", () => {
    expect(wrappedEnv({ XDG_CACHE_HOME: path.join(home, "xdg") }).TF_PLUGIN_CACHE_DIR).toBe(path.join(home, "xdg/k8s-mesh-platform/terraform-plugins"));
    const own = path.join(home, "own", "cache");
    expect(wrappedEnv({ TF_PLUGIN_CACHE_DIR: own }).TF_PLUGIN_CACHE_DIR).toBe(own);
    expect(statSync(own).isDirectory()).toBe(true);
    expect(wrappedEnv({ TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE: "" }).TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE).toBe("");
  });

  it("refuses a relative cache path, naming the variable, before running anything", () => {
    const marker = path.join(home, "ran");
    const r = run(["touch", marker], { TF_PLUGIN_CACHE_DIR: "relative/cache" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("TF_PLUGIN_CACHE_DIR must be an absolute path");
    expect(r.stderr).toContain("relative/cache");
    expect(() => statSync(marker)).toThrow();
  });

  it("passes the command's arguments and exit status through", () => {
    expect(run(["sh", "-c", 'printf "%s|" "$@"; exit 3', "sh", "a b", "*"]).stdout).toBe("a b|*|");
    expect(run(["sh", "-c", "exit 3"]).status).toBe(3);
  });
});

describe("Terraform takes the cache folder the wrapper sets", () => {
  const terraform = requireTool("terraform", "terraform (HashiCorp's apt repository, https://developer.hashicorp.com/terraform/install)");

  /** `terraform init` in an empty configuration: CLI configuration problems are all it can report offline. */
  function init(viaWrapper: boolean, cacheDir: string) {
    const work = mkdtempSync(path.join(home, "stack-"));
    writeFileSync(path.join(work, "main.tf.json"), "{}\n");
    const base = { TF_CLI_CONFIG_FILE: "/dev/null", CHECKPOINT_DISABLE: "1", TF_PLUGIN_CACHE_DIR: cacheDir };
    const args = ["init", "-backend=false", "-input=false", "-no-color"];
    return viaWrapper
      ? spawnSync("bash", [SCRIPT, terraform as string, ...args], { cwd: work, env: env(base), encoding: "utf8" })
      : spawnSync(terraform as string, args, { cwd: work, env: env(base), encoding: "utf8" });
  }

  itWith(terraform)("reads TF_PLUGIN_CACHE_DIR (a missing folder is a CLI configuration problem), and the wrapper creates it first", () => {
    const cache = path.join(home, "not-yet", "plugins");
    const bare = init(false, cache);
    expect(bare.stdout + bare.stderr).toContain(`The specified plugin cache dir ${cache} cannot be opened`);
    const wrapped = init(true, cache);
    expect(wrapped.status).toBe(0);
    expect(wrapped.stdout + wrapped.stderr).not.toContain("problems with the CLI configuration");
    expect(statSync(cache).isDirectory()).toBe(true);
  });
});

describe("the project's commands use the cache", () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

  it.each(["deploy", "destroy", "diff"])("npm run %s runs cdktf through the wrapper", (name) => {
    expect(pkg.scripts[name]).toBe(`scripts/plugin-cache.sh cdktf ${name}`);
  });

  it("npm run deploy puts the cache in cdktf's environment (and so in every stack's terraform init)", () => {
    // The script line as npm runs it, with a stand-in cdktf that prints what it got.
    const bin = mkdtempSync(path.join(home, "bin-"));
    writeFileSync(path.join(bin, "cdktf"), '#!/bin/sh\necho "$TF_PLUGIN_CACHE_DIR $*"\n', { mode: 0o755 });
    const out = execFileSync("sh", ["-c", `${pkg.scripts.deploy} "$@"`, "sh", "*", "--auto-approve"], {
      cwd: ROOT,
      env: { ...env(), PATH: `${bin}:${process.env.PATH ?? ""}` },
      encoding: "utf8",
    });
    expect(out.trim()).toBe(`${path.join(home, ".cache/k8s-mesh-platform/terraform-plugins")} deploy * --auto-approve`);
  });

  it("setup creates the cache, and the README deploys and destroys with the npm scripts", () => {
    expect(readFileSync(path.join(ROOT, "scripts/setup.sh"), "utf8")).toMatch(/^plugin_cache=\$\(scripts\/plugin-cache\.sh\)$/m);
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("npm run deploy -- '*'");
    expect(readme).toContain("npm run destroy -- '*'");
    expect(readme).not.toMatch(/npx cdktf (deploy|destroy) '\*'/);
  });
});
