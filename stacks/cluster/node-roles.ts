import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import type { ITerraformDependable } from "cdktf";
import type { Config } from "../../lib/config";
import { resourceName } from "../../lib/naming";
import type { ClusterSecrets } from "./cluster-secrets";

/** AWS's managed policy for Session Manager (shell access without port 22). */
export const SSM_MANAGED_INSTANCE_CORE = "AmazonSSMManagedInstanceCore";

/** The ARN of an AWS-managed IAM policy in `partition` (`aws`, `aws-cn`, `aws-us-gov`). */
export function awsManagedPolicyArn(partition: string, policyName: string): string {
  return `arn:${partition}:iam::aws:policy/${policyName}`;
}

export interface NodeRolesProps {
  readonly config: Config;
  readonly secrets: ClusterSecrets;
}

/** One node role: its instance profile and what a node must wait for before it boots. */
export interface NodeRole {
  readonly role: IamRole;
  readonly instanceProfile: IamInstanceProfile;
  /** The role's policies and attachments: a node using the profile depends on them. */
  readonly grants: ITerraformDependable[];
}

/**
 * Separate roles for the control plane and the workers. Both get Session
 * Manager; beyond that only this cluster's SSM parameters:
 * - control plane: read the CA key, the CA certificate and the join token;
 *   write the join token (its refresh timer);
 * - workers: read the join token and the CA certificate, never the CA key.
 *
 * No KMS statement: the parameters use the AWS-managed `aws/ssm` key, whose
 * key policy already lets this account's principals use it through SSM.
 */
export class NodeRoles extends Construct {
  readonly controlPlane: NodeRole;
  readonly workers: NodeRole;
  /** The partition the provider's credentials live in, for AWS-managed policy ARNs. */
  private readonly partition: DataAwsPartition;

  constructor(scope: Construct, id: string, props: NodeRolesProps) {
    super(scope, id);
    const { config, secrets } = props;
    this.partition = new DataAwsPartition(this, "partition");

    this.controlPlane = this.nodeRole("control-plane", config, [
      { Sid: "ReadClusterSecrets", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [secrets.caKeyParameter.arn, secrets.caCertParameter.arn, secrets.joinTokenParameter.arn] },
      { Sid: "RefreshJoinToken", Effect: "Allow", Action: ["ssm:PutParameter"], Resource: [secrets.joinTokenParameter.arn] },
    ]);
    this.workers = this.nodeRole("worker", config, [
      { Sid: "ReadJoinSecrets", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [secrets.caCertParameter.arn, secrets.joinTokenParameter.arn] },
    ]);
  }

  private nodeRole(kind: "control-plane" | "worker", config: Config, statements: object[]): NodeRole {
    const name = resourceName(config, kind);
    const role = new IamRole(this, `${kind}-role`, {
      name,
      description: `Kubernetes ${kind} nodes of ${config.name}`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    const sessionManager = new IamRolePolicyAttachment(this, `${kind}-session-manager`, {
      role: role.name,
      policyArn: awsManagedPolicyArn(this.partition.partition, SSM_MANAGED_INSTANCE_CORE),
    });
    const parameters = new IamRolePolicy(this, `${kind}-parameters`, {
      role: role.id,
      name: "cluster-parameters",
      policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    });
    const instanceProfile = new IamInstanceProfile(this, `${kind}-profile`, { name, role: role.name });
    return { role, instanceProfile, grants: [sessionManager, parameters] };
  }
}
