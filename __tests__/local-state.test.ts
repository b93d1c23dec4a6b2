/**
 * Local state is private from the first write: the folder 0700, each state
 * and backup file 0600, created before Terraform writes them, and checked
 * with the real terraform CLI under the usual umask 022 (where Terraform
 * alone creates world-readable files). Stands in for the CIS-style "state
 * holds secrets" findings (tfsec/Trivy have no rule for local state files).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { localStateFiles, prepareLocalState, STATE_DIRECTORY_MODE, STATE_FILE_MODE } from "../lib/local-state";
import { localStatePath, STACK_NAMES } from "../lib/stack-base";
import { testConfig } from "./helpers/synth";
import { itWith, requireTool } from "./helpers/tools";

const terraform = requireTool("terraform", "terraform (HashiCorp's apt repository, https://developer.hashicorp.com/terraform/install)");
const mode = (p: string) => statSync(p).mode & 0o777;

describe("local state files", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "mesh-state-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("creates the folder 0700 and every stack's state and backup 0600, empty", () => {
    const dir = path.join(root, "terraform-state");
    prepareLocalState(dir, Object.values(STACK_NAMES));
    expect(mode(dir)).toBe(STATE_DIRECTORY_MODE);
    for (const stack of Object.values(STACK_NAMES)) {
      for (const file of localStateFiles(stack)) {
        expect({ file, mode: mode(path.join(dir, file)), size: statSync(path.join(dir, file)).size }).toEqual({ file, mode: STATE_FILE_MODE, size: 0 });
      }
    }
  });

  it("tightens a folder and files left world-readable by an earlier run, keeping their content", () => {
    const dir = path.join(root, "terraform-state");
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(path.join(dir, "cluster.tfstate"), '{"version":4}', { mode: 0o644 });
    chmodSync(path.join(dir, "cluster.tfstate"), 0o644);
    prepareLocalState(dir, ["cluster"]);
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.join(dir, "cluster.tfstate"))).toBe(0o600);
    expect(readFileSync(path.join(dir, "cluster.tfstate"), "utf8")).toBe('{"version":4}');
  });

  it("prepares exactly the files the stacks' local backend names", () => {
    const config = testConfig();
    for (const stack of Object.values(STACK_NAMES)) {
      const p = localStatePath(config, stack);
      expect(path.basename(path.dirname(p))).toBe(config.backend.directory);
      expect(localStateFiles(stack)).toContain(path.basename(p));
    }
  });

  /** Runs terraform twice (so a backup is written) with umask 022 on a config that only has an output. */
  function applyTwice(dir: string): void {
    const work = path.join(root, "work");
    mkdirSync(work);
    const write = (value: string) =>
      writeFileSync(path.join(work, "main.tf"), `terraform {\n  backend "local" { path = "${path.join(dir, "s.tfstate")}" }\n}\noutput "secret" { value = "${value}" }\n`);
    const run = (args: string) => execFileSync("sh", ["-c", `umask 022 && "${terraform}" ${args}`], { cwd: work, env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" }, stdio: "pipe" });
    write("one");
    run("init -input=false -no-color");
    run("apply -auto-approve -input=false -no-color");
    write("two");
    run("apply -auto-approve -input=false -no-color");
  }

  itWith(terraform)("stay 0600 after terraform writes state and backup into them (umask 022)", () => {
    const dir = path.join(root, "terraform-state");
    prepareLocalState(dir, ["s"]);
    applyTwice(dir);
    expect(JSON.parse(readFileSync(path.join(dir, "s.tfstate"), "utf8")).outputs.secret.value).toBe("two");
    expect(JSON.parse(readFileSync(path.join(dir, "s.tfstate.backup"), "utf8")).outputs.secret.value).toBe("one");
    expect([mode(dir), mode(path.join(dir, "s.tfstate")), mode(path.join(dir, "s.tfstate.backup"))].map((m) => m.toString(8))).toEqual(["700", "600", "600"]);
  });

  itWith(terraform)("are world-readable when terraform creates them itself: the check above can fail", () => {
    const dir = path.join(root, "unprepared");
    mkdirSync(dir);
    applyTwice(dir);
    expect(mode(path.join(dir, "s.tfstate")) & 0o044).not.toBe(0);
    expect(mode(path.join(dir, "s.tfstate.backup")) & 0o044).not.toBe(0);
  });
});
