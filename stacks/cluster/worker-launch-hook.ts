import { Construct } from "constructs";
import type { AutoscalingGroupInitialLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-group";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { Config } from "../../lib/config";
import type { NodeRole } from "./node-roles";
import { workerGroupNames, workerLaunchHookTimeoutSeconds } from "./settings";

export interface WorkerLaunchHookProps {
  readonly config: Config;
  /** The worker role, allowed to complete this hook. */
  readonly role: NodeRole;
  /** The partition the provider's credentials live in (aws, aws-cn, aws-us-gov). */
  readonly partition: string;
}

/**
 * A worker counts as in service only once it has joined the cluster.
 *
 * The group launches each worker into a launch lifecycle hook (Pending:Wait).
 * The worker's bootstrap completes it with CONTINUE right after `kubeadm join`
 * succeeds; if nothing completes it within the hook's timeout (the join
 * deadline plus a boot margin), its default result ABANDON terminates the
 * instance and the group launches a replacement.
 *
 * The hook is declared in the group itself (initial_lifecycle_hook), so it
 * exists before the group's first instance launches. The worker role may
 * complete lifecycle actions of this group only: the policy names the
 * group's ARN (any group id, this group's name, this account and region).
 */
export class WorkerLaunchHook extends Construct {
  /** The hook as the group declares it. */
  readonly hook: AutoscalingGroupInitialLifecycleHook;
  /** The worker role's permission to complete the hook: a worker must not boot before it exists. */
  readonly grant: IamRolePolicy;
  /** The group's ARN pattern the permission names. */
  readonly groupArn: string;

  constructor(scope: Construct, id: string, props: WorkerLaunchHookProps) {
    super(scope, id);
    const { config } = props;
    const names = workerGroupNames(config);
    this.hook = {
      name: names.launchHook,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      defaultResult: "ABANDON",
      heartbeatTimeout: workerLaunchHookTimeoutSeconds(config),
    };

    const account = new DataAwsCallerIdentity(this, "account");
    // Built from the name, not read from the group: the group waits for this grant.
    this.groupArn = `arn:${props.partition}:autoscaling:${config.region}:${account.accountId}:autoScalingGroup:*:autoScalingGroupName/${names.group}`;
    this.grant = new IamRolePolicy(this, "complete", {
      role: props.role.role.id,
      name: "worker-launch-hook",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "CompleteOwnGroupLaunchHook", Effect: "Allow", Action: ["autoscaling:CompleteLifecycleAction"], Resource: [this.groupArn] }],
      }),
    });
  }
}
