/**
 * The project's own commands as a user meets them: `--help` everywhere, and
 * one clear line with exit status 2 when there is no deployed cluster.
 * "No deployed cluster" is judged by Terraform itself on real stack folders:
 * one never initialized, and one initialized with empty state (a destroy).
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../verify/cli";
import { runKubeconfig, USAGE as KUBECONFIG_USAGE } from "../scripts/kubeconfig";
import { readStackOutputs, StackNotDeployedError } from "../lib/stack-outputs";
import { describeWith, requireTool, TERRAFORM_INSTALL_HINT } from "./helpers/tools";

const root = path.resolve(__dirname, "..");
const terraform = requireTool("terraform", "terraform", TERRAFORM_INSTALL_HINT);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A project folder with cdktf.json and, if asked, a cluster stack folder holding this Terraform JSON. */
function projectFolder(clusterStack?: (dir: string) => Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "project-"));
  writeFileSync(path.join(dir, "cdktf.json"), JSON.stringify({ app: "true", context: {} }));
  if (clusterStack) {
    const stackDir = path.join(dir, "cdktf.out", "stacks", "cluster");
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify(clusterStack(dir)));
  }
  return dir;
}

const localBackend = (dir: string) => ({
  terraform: { backend: { local: { path: path.join(dir, "terraform-state", "cluster.tfstate") } } },
  output: { api_server_url: { value: "https://203.0.113.10:6443" } },
});

async function verify(cwd: string, args: string[] = []): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, cwd });
  return { code, stdout, stderr };
}

function kubeconfig(cwd: string, args: string[] = []): Run {
  let stdout = "";
  let stderr = "";
  const code = runKubeconfig(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, cwd });
  return { code, stdout, stderr };
}

const DEPLOY = "deploy first with `npm run deploy -- '*'` (see the README)";

describe("with no deployed cluster", () => {
  const folders: string[] = [];
  const folder = (stack?: (dir: string) => Record<string, unknown>) => {
    const dir = projectFolder(stack);
    folders.push(dir);
    return dir;
  };
  afterAll(() => folders.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("verify prints one line and exits 2 when nothing was synthesized", async () => {
    const dir = folder();
    const r = await verify(dir);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `verify: no deployed cluster: ${path.relative(process.cwd(), path.join(dir, "cdktf.out/stacks/cluster"))} does not exist, so the cluster stack was not synthesized or deployed from this folder; ${DEPLOY}, or pass --kubeconfig <file>\n`,
    });
  });

  it("kubeconfig prints one line, exits 2 and writes nothing", () => {
    const dir = folder();
    const r = kubeconfig(dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^kubeconfig: no deployed cluster: .* does not exist, so the cluster stack was not synthesized or deployed from this folder; deploy first with `npm run deploy -- '\*'` \(see the README\)\n$/);
    expect(existsSync(path.join(dir, "kubeconfig"))).toBe(false);
  });

  describeWith(terraform)("as Terraform reports it", () => {
    it("a stack folder whose backend was never initialized", async () => {
      const dir = folder(localBackend);
      expect(() => readStackOutputs("cluster", dir)).toThrow(StackNotDeployedError);
      const r = await verify(dir);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("the cluster stack's Terraform folder");
      expect(r.stderr).toContain("was never initialized, so nothing was deployed from it");
    });

    it("a stack initialized with empty state (never applied, or destroyed)", async () => {
      const dir = folder(localBackend);
      const stackDir = path.join(dir, "cdktf.out", "stacks", "cluster");
      const scratch = mkdtempSync(path.join(os.tmpdir(), "tfrc-"));
      writeFileSync(path.join(scratch, "terraformrc"), "");
      execFileSync(terraform as string, ["init", "-input=false"], {
        cwd: stackDir,
        env: { ...process.env, TF_CLI_CONFIG_FILE: path.join(scratch, "terraformrc"), CHECKPOINT_DISABLE: "1" },
        stdio: "ignore",
      });
      rmSync(scratch, { recursive: true, force: true });
      const r = await verify(dir);
      expect(r).toEqual({
        code: 2,
        stdout: "",
        stderr: `verify: no deployed cluster: the cluster stack has no outputs (not deployed yet, or destroyed); ${DEPLOY}, or pass --kubeconfig <file>\n`,
      });
      expect(kubeconfig(dir)).toEqual({
        code: 2,
        stdout: "",
        stderr: `kubeconfig: no deployed cluster: the cluster stack has no outputs (not deployed yet, or destroyed); ${DEPLOY}\n`,
      });
    }, 60_000);
  });
});

describe("--help", () => {
  it("verify", async () => {
    const r = await verify(root, ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run verify -- \[options\]\n/);
  });

  it("kubeconfig shows its usage and writes no file named --help", () => {
    const dir = projectFolder();
    try {
      for (const flag of ["--help", "-h"]) {
        expect(kubeconfig(dir, [flag])).toEqual({ code: 0, stdout: KUBECONFIG_USAGE, stderr: "" });
      }
      expect(existsSync(path.join(dir, "--help"))).toBe(false);
      const bad = kubeconfig(dir, ["--out", "x"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(`kubeconfig: unknown option "--out"\n\n${KUBECONFIG_USAGE}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("bench (run as npm runs it)", async () => {
    const run = await new Promise<Run>((resolve) => {
      execFile(path.join(root, "node_modules", ".bin", "tsx"), ["scripts/bench.ts", "--help"], { cwd: root }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm run bench -- \[--runs N\] \[--reference <folder>\]\n/);
    expect(run.stderr).toBe("");
  }, 30_000);
});
