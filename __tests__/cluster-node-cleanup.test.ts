/**
 * The dead-worker cleanup, run for real (bash, jq, date) against recorded
 * `kubectl get nodes -o json` and `aws ec2 describe-instances` answers, with
 * `kubectl`, `aws` and `sleep` replaced by stubs that log their calls.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describeWith, requireTool } from "./helpers/tools";
import { testConfig } from "./helpers/synth";
import { nodeCleanupScript } from "../stacks/cluster/userdata/bootstrap";

const FIXTURES = path.join(__dirname, "fixtures", "cluster");
const config = testConfig();
const notReadyMinutes = config.cluster.deadNodeCleanup.notReadyMinutes;
const jq = requireTool("jq", "jq");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  deleted: string[];
  calls: string[];
}

const STUBS: Record<string, string> = {
  kubectl: `#!/bin/bash
echo "kubectl $*" >>"$STUB_LOG"
case "$1 $2" in
  "get nodes") cat "$NODES_JSON" ;;
  "delete node") echo "node \\"$3\\" deleted" ;;
  *) exit 2 ;;
esac
`,
  aws: `#!/bin/bash
echo "aws $*" >>"$STUB_LOG"
if [[ "$AWS_STUB_FAIL" == 1 ]]; then echo "An error occurred (RequestLimitExceeded)" >&2; exit 254; fi
cat "$EC2_JSON"
`,
  sleep: `#!/bin/bash
echo "sleep $*" >>"$STUB_LOG"
`,
};

/**
 * Runs the cleanup with the recorded nodes, each Ready condition's last
 * change set `minutesAgo[name]` minutes back (default 30), and the recorded
 * EC2 answer (optionally edited).
 */
function runCleanup(opts: { minutesAgo?: Record<string, number>; ready?: Record<string, string>; ec2?: (answer: any) => any; awsFails?: boolean } = {}): Run {
  const dir = mkdtempSync(path.join(tmpdir(), "node-cleanup-"));
  const bin = path.join(dir, "bin");
  spawnSync("mkdir", [bin]);
  for (const [name, body] of Object.entries(STUBS)) {
    writeFileSync(path.join(bin, name), body);
    chmodSync(path.join(bin, name), 0o755);
  }
  const nodes = JSON.parse(readFileSync(path.join(FIXTURES, "nodes-with-dead-workers.json"), "utf8"));
  for (const node of nodes.items) {
    const ready = node.status.conditions.find((c: { type: string }) => c.type === "Ready");
    const ago = opts.minutesAgo?.[node.metadata.name] ?? 30;
    ready.lastTransitionTime = new Date(Date.now() - ago * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    ready.status = opts.ready?.[node.metadata.name] ?? ready.status;
  }
  writeFileSync(path.join(dir, "nodes.json"), JSON.stringify(nodes));
  const ec2 = JSON.parse(readFileSync(path.join(FIXTURES, "describe-instances.json"), "utf8"));
  writeFileSync(path.join(dir, "ec2.json"), JSON.stringify(opts.ec2 ? opts.ec2(ec2) : ec2));
  const script = path.join(dir, "k8s-node-cleanup");
  writeFileSync(script, nodeCleanupScript(config, "aws"));
  const log = path.join(dir, "calls.log");
  writeFileSync(log, "");

  const r = spawnSync("bash", [script], {
    encoding: "utf8",
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      STUB_LOG: log,
      NODES_JSON: path.join(dir, "nodes.json"),
      EC2_JSON: path.join(dir, "ec2.json"),
      AWS_STUB_FAIL: opts.awsFails ? "1" : "0",
    },
  });
  const calls = readFileSync(log, "utf8").split("\n").filter(Boolean);
  const deleted = calls.filter((c) => c.startsWith("kubectl delete node ")).map((c) => c.split(" ")[3] as string);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, deleted, calls };
}

describeWith(jq)("dead-worker cleanup (k8s-node-cleanup)", () => {
  it("deletes exactly the NotReady workers whose instance is terminated or gone", () => {
    const r = runCleanup();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // ip-10-0-2-22: terminated; ip-10-0-1-23: not in EC2's answer at all.
    expect(r.deleted).toEqual(["ip-10-0-2-22", "ip-10-0-1-23"]);
    expect(r.calls).toContain("kubectl delete node ip-10-0-2-22 --wait=false");
  });

  it("keeps a NotReady worker whose instance is running, stopped or still shutting down, and one without a provider ID", () => {
    const r = runCleanup();
    for (const kept of ["ip-10-0-2-24", "ip-10-0-1-25", "ip-10-0-2-26", "ip-10-0-1-27"]) expect(r.deleted).not.toContain(kept);
    expect(r.stdout).toContain("node ip-10-0-2-24: NotReady, but instance i-0e0e0e0e0e0e0e0e4 is running; keeping it");
    expect(r.stdout).toContain("instance i-010101010101010106 is shutting-down; keeping it");
  });

  it("never deletes a Ready node, even one whose instance EC2 reports terminated", () => {
    const r = runCleanup();
    expect(r.deleted).not.toContain("ip-10-0-1-21");
    // Its instance is not even looked up.
    const lookup = r.calls.find((c) => c.startsWith("aws ec2 describe-instances")) ?? "";
    expect(lookup).not.toContain("i-0a0a0a0a0a0a0a0a1");
    expect(lookup).toContain(`--region ${config.region}`);
  });

  it("waits until a worker has been NotReady for longer than the configured minutes", () => {
    const r = runCleanup({ minutesAgo: { "ip-10-0-2-22": notReadyMinutes - 1 } });
    expect(r.deleted).toEqual(["ip-10-0-1-23"]);
  });

  it("never deletes the control plane, even NotReady with its instance gone", () => {
    const r = runCleanup({ ready: { "ip-10-0-1-10": "Unknown" } });
    expect(r.deleted).not.toContain("ip-10-0-1-10");
  });

  it("does not call EC2 at all when no worker is NotReady for long enough", () => {
    const recent = Object.fromEntries(["ip-10-0-2-22", "ip-10-0-1-23", "ip-10-0-2-24", "ip-10-0-1-25", "ip-10-0-2-26", "ip-10-0-1-27"].map((n) => [n, 1]));
    const r = runCleanup({ minutesAgo: recent });
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("aws "))).toEqual([]);
    expect(r.deleted).toEqual([]);
  });

  it("retries EC2 and then deletes nothing when it keeps failing", () => {
    const r = runCleanup({ awsFails: true });
    expect(r.status).not.toBe(0);
    expect(r.calls.filter((c) => c.startsWith("aws ec2 describe-instances"))).toHaveLength(5);
    expect(r.calls.filter((c) => c.startsWith("sleep"))).toHaveLength(4);
    expect(r.deleted).toEqual([]);
    expect(r.stderr).toContain("could not look the instances up; deleting nothing");
  });

  it("deletes nothing when EC2's answer does not show the control plane itself running (a wrong or empty answer)", () => {
    const empty = runCleanup({ ec2: () => ({ Reservations: [] }) });
    expect(empty.status).not.toBe(0);
    expect(empty.deleted).toEqual([]);
    expect(empty.stderr).toContain("does not show this control plane (i-0c0c0c0c0c0c0c0c0) running");
  });
});
