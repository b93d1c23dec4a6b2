import { Construct } from "constructs";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { NodeRole } from "./node-roles";

export interface DeadNodeCleanupProps {
  /** The control plane's role: its timer looks the workers' instances up. */
  readonly controlPlaneRole: NodeRole;
}

/**
 * The right the control plane's dead-worker cleanup needs: to ask EC2 whether
 * the instance behind a NotReady Node still exists. `ec2:DescribeInstances`
 * supports no resource-level scoping (AWS documents its Resource as `*`), so
 * the grant is read-only and account-wide; the Node deletion itself uses the
 * cluster's admin kubeconfig on the control plane, not AWS.
 */
export class DeadNodeCleanup extends Construct {
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: DeadNodeCleanupProps) {
    super(scope, id);
    this.policy = new IamRolePolicy(this, "describe-instances", {
      role: props.controlPlaneRole.role.id,
      name: "dead-node-cleanup",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "LookUpWorkerInstances", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" }],
      }),
    });
  }
}
