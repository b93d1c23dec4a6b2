/**
 * A worker that cannot join is replaced; a worker counts as in service only
 * once it has joined.
 *
 * The join step of the worker's bootstrap (functions.sh + worker.sh, rendered
 * as the user-data renders them) runs for real under bash, with `aws`,
 * `curl`, `kubeadm` and `sleep` replaced by stubs that record their calls;
 * openssl hashes a real CA certificate. The group side is checked on the
 * synthesized launch hook, and the worker's permission with the IAM
 * evaluator.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describeWith, requireTool } from "./helpers/tools";
import { oneResource, synthApp, testConfig } from "./helpers/synth";
import { accessModel, TEST_ACCOUNT } from "./helpers/aws-access";
import { evaluate } from "./helpers/iam-policy";
import { workerJoinScript, workerUserData } from "../stacks/cluster/userdata/bootstrap";
import {
  LIFECYCLE_HOOK_MAX_TIMEOUT_SECONDS,
  parameterNames,
  workerGroupNames,
  workerJoinTimeoutSeconds,
  workerLaunchHookTimeoutSeconds,
} from "../stacks/cluster/settings";

const FIXTURES = path.join(__dirname, "fixtures", "cluster");
const config = testConfig();
const params = parameterNames(config);
const names = workerGroupNames(config);
const INSTANCE_ID = "i-0fedcba9876543210";
const TOKEN = "abcdef.0123456789abcdef";
const openssl = requireTool("openssl", "openssl");

const STUBS: Record<string, string> = {
  aws: `#!/bin/bash
echo "aws $*" >>"$STUB_LOG"
case "$1 $2" in
  "ssm get-parameter")
    [[ "$SSM_FAIL" == 1 ]] && { echo "An error occurred (AccessDeniedException)" >&2; exit 254; }
    case "$*" in
      *"--name $SSM_CA_CERT_NAME "*) cat "$CA_FILE" ;;
      *"--name $SSM_JOIN_TOKEN_NAME "*) echo "$JOIN_TOKEN" ;;
      *) echo "An error occurred (ParameterNotFound)" >&2; exit 254 ;;
    esac ;;
  "autoscaling complete-lifecycle-action")
    [[ "$COMPLETE_FAIL" == 1 ]] && { echo "An error occurred (AccessDenied) when calling the CompleteLifecycleAction operation" >&2; exit 254; }
    exit 0 ;;
  *) echo "unexpected aws call" >&2; exit 2 ;;
esac
`,
  curl: `#!/bin/bash
echo "curl $*" >>"$STUB_LOG"
case "$*" in
  *169.254.169.254/latest/api/token*) echo "imds-token" ;;
  *meta-data/instance-id*) echo "$INSTANCE_ID" ;;
  */livez*) [[ "$API_UP" == 1 ]] || { echo "curl: (7) Failed to connect" >&2; exit 7; } ;;
  *) exit 22 ;;
esac
`,
  kubeadm: `#!/bin/bash
echo "kubeadm $*" >>"$STUB_LOG"
if [[ "$1" == join ]]; then
  cp "$3" "$STUB_DIR/join.yaml.seen"
  n=$(grep -c '^kubeadm join' "$STUB_LOG")
  (( n > JOIN_FAILURES )) || { echo "error execution phase preflight: unable to fetch the kubeadm-config ConfigMap" >&2; exit 1; }
fi
exit 0
`,
  // The join loop's waits are real but short, so its deadline (in seconds) passes; retry()'s are skipped.
  sleep: `#!/bin/bash
echo "sleep $*" >>"$STUB_LOG"
[[ "$1" == 15 ]] && /bin/sleep 0.3
exit 0
`,
};

interface Scenario {
  apiUp?: boolean;
  joinFailures?: number;
  completeFails?: boolean;
  ssmFails?: boolean;
  joinTimeoutSeconds?: number;
  /** `install` fails, as it does on a read-only or full disk. */
  breakInstall?: boolean;
}

interface Run {
  status: number | null;
  stderr: string;
  calls: string[];
  dir: string;
}

function runJoin(s: Scenario = {}): Run {
  const dir = mkdtempSync(path.join(tmpdir(), "worker-join-"));
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  for (const [name, body] of Object.entries(STUBS)) {
    writeFileSync(path.join(bin, name), body);
    chmodSync(path.join(bin, name), 0o755);
  }
  if (s.breakInstall) {
    writeFileSync(path.join(bin, "install"), `#!/bin/bash\necho "install: cannot create directory: Read-only file system" >&2\nexit 1\n`);
    chmodSync(path.join(bin, "install"), 0o755);
  }
  const bootstrapDir = path.join(dir, "kubeadm-bootstrap");
  const script = path.join(dir, "join.sh");
  writeFileSync(
    script,
    workerJoinScript(config, {
      AWS_CLI: "aws",
      BOOTSTRAP_DIR: bootstrapDir,
      JOIN_TIMEOUT_SECONDS: s.joinTimeoutSeconds ?? 30,
      // Set by node-setup.sh on a node.
      NODE_IP: "10.0.2.20",
      PROVIDER_ID: `aws:///ap-northeast-2c/${INSTANCE_ID}`,
    }),
  );
  const log = path.join(dir, "calls.log");
  writeFileSync(log, "");
  const r = spawnSync("bash", [script], {
    encoding: "utf8",
    timeout: 30_000,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      STUB_LOG: log,
      STUB_DIR: dir,
      CA_FILE: path.join(FIXTURES, "ca-rsa.crt"),
      SSM_CA_CERT_NAME: params.caCert,
      SSM_JOIN_TOKEN_NAME: params.joinToken,
      JOIN_TOKEN: TOKEN,
      INSTANCE_ID,
      API_UP: s.apiUp === false ? "0" : "1",
      JOIN_FAILURES: String(s.joinFailures ?? 0),
      COMPLETE_FAIL: s.completeFails ? "1" : "0",
      SSM_FAIL: s.ssmFails ? "1" : "0",
    },
  });
  return { status: r.status, stderr: r.stderr, calls: readFileSync(log, "utf8").split("\n").filter(Boolean), dir };
}

const completions = (r: Run) => r.calls.filter((c) => c.startsWith("aws autoscaling complete-lifecycle-action"));
const joins = (r: Run) => r.calls.filter((c) => c.startsWith("kubeadm join"));

describeWith(openssl)("worker join step (recorded commands)", () => {
  it("joins, then completes its own group's launch hook with CONTINUE for its own instance", () => {
    const r = runJoin();
    expect(r.status).toBe(0);
    expect(completions(r)).toEqual([
      `aws autoscaling complete-lifecycle-action --region ${config.region} --auto-scaling-group-name ${names.group} ` +
        `--lifecycle-hook-name ${names.launchHook} --instance-id ${INSTANCE_ID} --lifecycle-action-result CONTINUE`,
    ]);
    // The hook is completed only after the join.
    const joinAt = r.calls.findIndex((c) => c.startsWith("kubeadm join"));
    const completeAt = r.calls.findIndex((c) => c.startsWith("aws autoscaling"));
    expect(joinAt).toBeGreaterThanOrEqual(0);
    expect(completeAt).toBeGreaterThan(joinAt);
    expect(r.stderr).toContain(`launch hook ${names.launchHook} completed: the group counts this worker as in service`);
    // The join configuration held the token and the pinned CA; it is removed after the join.
    const seen = readFileSync(path.join(r.dir, "join.yaml.seen"), "utf8");
    expect(seen).toContain(TOKEN);
    expect(seen).toMatch(/caCertHashes:\n\s+- "?sha256:[0-9a-f]{64}"?/);
    expect(existsSync(path.join(r.dir, "kubeadm-bootstrap", "join.yaml"))).toBe(false);
  });

  it("retries a failed join after a reset, and completes the hook once joined", () => {
    const r = runJoin({ joinFailures: 1 });
    expect(r.status).toBe(0);
    expect(joins(r)).toHaveLength(2);
    expect(r.calls).toContain("kubeadm reset --force");
    expect(completions(r)).toHaveLength(1);
  });

  it("never completes the hook when the API server does not answer by the deadline (the hook then abandons the worker)", () => {
    const r = runJoin({ apiUp: false, joinTimeoutSeconds: 1 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `FATAL: the API server at 10.0.1.10:6443 did not answer within 1s (see the control plane's /var/log/cloud-init-output.log)`,
    );
    expect(joins(r)).toEqual([]);
    expect(completions(r)).toEqual([]);
  });

  it("never completes the hook when every join fails until the deadline", () => {
    const r = runJoin({ joinFailures: 1000, joinTimeoutSeconds: 1 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("FATAL: could not join the cluster within 1s");
    expect(joins(r).length).toBeGreaterThanOrEqual(1);
    expect(r.calls.filter((c) => c === "kubeadm reset --force")).toHaveLength(joins(r).length);
    expect(completions(r)).toEqual([]);
  });

  it("never completes the hook when the cluster CA cannot be read from SSM", () => {
    const r = runJoin({ ssmFails: true });
    expect(r.status).not.toBe(0);
    expect(r.calls.filter((c) => c.startsWith("aws ssm get-parameter"))).toHaveLength(30);
    expect(r.stderr).toContain("giving up on 'ssm_get_to_file' after 30 attempts");
    // The last bootstrap line (what the console log ends with) points at the step that failed.
    const last = r.stderr.trim().split("\n").pop() ?? "";
    const m = /\[k8s-bootstrap\] FATAL: the bootstrap stopped at line (\d+) of its script \(exit 1\): /.exec(last);
    expect(m).not.toBeNull();
    const script = readFileSync(path.join(r.dir, "join.sh"), "utf8").split("\n");
    expect(script[Number(m?.[1]) - 1]).toMatch(/^retry 30 2 ssm_get_to_file "\$\{SSM_CA_CERT\}"/);
    expect(joins(r)).toEqual([]);
    expect(completions(r)).toEqual([]);
  });

  it("names a plain command that fails, with its line", () => {
    // A plain command outside any function fails (install, on a read-only disk).
    const r = runJoin({ apiUp: false, joinTimeoutSeconds: 0, breakInstall: true });
    expect(r.status).not.toBe(0);
    const last = r.stderr.trim().split("\n").pop() ?? "";
    expect(last).toMatch(/FATAL: the bootstrap stopped at line \d+ of its script \(exit 1\): install -d -m 0755 "\$\{BOOTSTRAP_DIR\}"$/);
  });

  it("fails loudly when joined but the group refuses the completion (the hook's timeout then replaces the worker)", () => {
    const r = runJoin({ completeFails: true });
    expect(r.status).toBe(1);
    expect(completions(r)).toHaveLength(10);
    expect(r.stderr).toContain(
      `FATAL: joined, but could not complete the launch hook ${names.launchHook} of ${names.group}; the group abandons this worker when the hook times out`,
    );
  });
});

describe("worker launch hook", () => {
  const app = synthApp();
  const cluster = app.stack("cluster");
  const group = oneResource(cluster, "aws_autoscaling_group");
  const hookPolicy = oneResource(cluster, "aws_iam_role_policy", "launch-hook");

  it("holds every new worker until it completes the hook, and abandons it at the timeout", () => {
    expect(group.name).toBe(names.group);
    expect(group.initial_lifecycle_hook).toEqual([
      {
        name: names.launchHook,
        lifecycle_transition: "autoscaling:EC2_INSTANCE_LAUNCHING",
        default_result: "ABANDON",
        heartbeat_timeout: 1500,
      },
    ]);
    // InService now means joined; the readiness gate does the waiting.
    expect(group.wait_for_capacity_timeout).toBe("0");
  });

  it("outlasts the bootstrap's join deadline, within AWS's 2-hour bound, for every readiness timeout", () => {
    for (const minutes of [5, 20, 60, 115, 120]) {
      const c = testConfig({ cluster: { readinessTimeoutMinutes: minutes } });
      expect(workerLaunchHookTimeoutSeconds(c)).toBeGreaterThan(workerJoinTimeoutSeconds(c));
      expect(workerLaunchHookTimeoutSeconds(c)).toBeLessThanOrEqual(LIFECYCLE_HOOK_MAX_TIMEOUT_SECONDS);
    }
    expect(workerJoinTimeoutSeconds(config)).toBe(1200);
  });

  it("the worker's user-data names the same group, hook and deadline", () => {
    const userData = workerUserData(config);
    expect(userData).toContain(`readonly WORKER_GROUP_NAME='${names.group}'`);
    expect(userData).toContain(`readonly WORKER_LAUNCH_HOOK='${names.launchHook}'`);
    expect(userData).toContain(`readonly JOIN_TIMEOUT_SECONDS='${workerJoinTimeoutSeconds(config)}'`);
  });

  it("workers start only once they may complete the hook", () => {
    const address = Object.keys(cluster.tf.resource?.aws_iam_role_policy ?? {}).find((id) => id.includes("launch-hook"));
    expect(group.depends_on).toContain(`aws_iam_role_policy.${address}`);
    expect(oneResource(cluster, "aws_launch_template").depends_on).toContain(`aws_iam_role_policy.${address}`);
    expect(String(hookPolicy.role)).toContain("aws_iam_role.roles_worker-role");
  });

  // The ARN format of an Auto Scaling group and the resource type CompleteLifecycleAction
  // takes: AWS's Service Authorization Reference, "Actions, resources, and condition keys
  // for Amazon EC2 Auto Scaling".
  describe("lets a worker complete only its own group's hook", () => {
    const m = accessModel(cluster, config.region);
    const groupArn = (name: string, region = config.region, account = TEST_ACCOUNT) =>
      `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:autoScalingGroupName/${name}`;
    const decide = (roleId: string, action: string, resource: string) => evaluate(m.role(roleId).identityPolicies, { action, resource });

    it("allows the worker role on its group", () => {
      expect(decide("worker-role", "autoscaling:CompleteLifecycleAction", groupArn(names.group))).toBe("Allow");
    });

    it.each([
      ["another group", groupArn("someone-elses-workers")],
      ["a group of the same name in another region", groupArn(names.group, "us-east-1")],
      ["a group of the same name in another account", groupArn(names.group, config.region, "444455556666")],
    ])("denies the worker role on %s", (_what, arn) => {
      expect(decide("worker-role", "autoscaling:CompleteLifecycleAction", arn)).toBe("ImplicitDeny");
    });

    it("gives the worker role no other Auto Scaling action, and the control plane none at all", () => {
      expect(decide("worker-role", "autoscaling:SetDesiredCapacity", groupArn(names.group))).toBe("ImplicitDeny");
      expect(decide("worker-role", "autoscaling:TerminateInstanceInAutoScalingGroup", groupArn(names.group))).toBe("ImplicitDeny");
      expect(decide("control-plane-role", "autoscaling:CompleteLifecycleAction", groupArn(names.group))).toBe("ImplicitDeny");
    });
  });
});
