/**
 * A worker counts as in service only once it has joined, and one that cannot
 * join is replaced: the launch hook the group declares, and the worker's
 * permission to complete it, judged with the IAM evaluator. What the worker's
 * bootstrap does with the hook (complete it after the join, never on a
 * failure) is run in cluster-userdata-run.test.ts.
 */
import { oneResource, synthApp, testConfig } from "./helpers/synth";
import { accessModel, TEST_ACCOUNT } from "./helpers/aws-access";
import { evaluate } from "./helpers/iam-policy";
import { workerUserData } from "../stacks/cluster/userdata/bootstrap";
import {
  LIFECYCLE_HOOK_MAX_TIMEOUT_SECONDS,
  workerGroupNames,
  workerJoinTimeoutSeconds,
  workerLaunchHookTimeoutSeconds,
} from "../stacks/cluster/settings";

const config = testConfig();
const names = workerGroupNames(config);

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
