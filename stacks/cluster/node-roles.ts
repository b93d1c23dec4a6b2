import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import type { ITerraformDependable } from "cdktf";
import type { Config } from "../../lib/config";
import { resourceName } from "../../lib/naming";
import { parameterNames } from "./settings";
import type { ClusterKey } from "./cluster-key";
import type { ClusterSecrets } from "./cluster-secrets";

/**
 * AWS's managed policy for Session Manager and the SSM agent: the
 * `AmazonSSMManagedInstanceCore` actions without `ssm:GetParameter(s)` on `*`
 * (AWS made it for Default Host Management). With it a node reads no
 * parameter beyond those its inline policy names.
 */
export const SSM_MANAGED_INSTANCE_POLICY = "AmazonSSMManagedEC2InstanceDefaultPolicy";

/** The ARN of an AWS-managed IAM policy in `partition` (`aws`, `aws-cn`, `aws-us-gov`). */
export function awsManagedPolicyArn(partition: string, policyName: string): string {
  return `arn:${partition}:iam::aws:policy/${policyName}`;
}

export interface NodeRolesProps {
  readonly config: Config;
  readonly secrets: ClusterSecrets;
  /** The key of the SecureString parameters: each role gets its own decrypt grant in its policy. */
  readonly key: ClusterKey;
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
 * Manager (SSM_MANAGED_INSTANCE_POLICY, which reads no parameter); beyond
 * that, this construct grants only this cluster's SSM parameters, each named
 * (the control plane's jobs add their own grants: etcd backups, dead-worker
 * cleanup, the Elastic IP and admin-certificate parameters):
 * - control plane: read the CA key, the CA certificate, the join token and
 *   the Secrets encryption key; write the join token (its refresh timer);
 * - workers: read the join token and the CA certificate, never the CA key.
 *
 * The SecureString parameters are encrypted with the cluster key. The roles
 * hold no KMS statement of their own: the key policy grants each role
 * `kms:Decrypt` through SSM for its own SecureStrings only (the workers: the
 * join token), and the control plane `kms:Encrypt` for the join token
 * (EtcdBackup adds the control plane's use of the key through S3 for its
 * snapshots).
 * Reading a SecureString needs both the parameter grant here and the key
 * grant there.
 */
export class NodeRoles extends Construct {
  readonly controlPlane: NodeRole;
  readonly workers: NodeRole;
  /** The partition the provider's credentials live in, for AWS-managed policy ARNs. */
  readonly partition: DataAwsPartition;

  constructor(scope: Construct, id: string, props: NodeRolesProps) {
    super(scope, id);
    const { config, secrets, key } = props;
    this.partition = new DataAwsPartition(this, "partition");

    this.controlPlane = this.nodeRole("control-plane", config, [
      { Sid: "ReadClusterSecrets", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [secrets.caKeyParameter.arn, secrets.caCertParameter.arn, secrets.joinTokenParameter.arn, secrets.secretsEncryptionKeyParameter.arn] },
      { Sid: "RefreshJoinToken", Effect: "Allow", Action: ["ssm:PutParameter"], Resource: [secrets.joinTokenParameter.arn] },
    ]);
    this.workers = this.nodeRole("worker", config, [
      { Sid: "ReadJoinSecrets", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [secrets.caCertParameter.arn, secrets.joinTokenParameter.arn] },
    ]);

    const names = parameterNames(config);
    key.allowParameterDecrypt("ControlPlaneDecryptsItsParameters", this.controlPlane.role.arn, [names.caKey, names.joinToken, names.secretsEncryptionKey]);
    key.allowParameterEncrypt("ControlPlaneWritesJoinToken", this.controlPlane.role.arn, [names.joinToken]);
    key.allowParameterDecrypt("WorkersDecryptJoinToken", this.workers.role.arn, [names.joinToken]);
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
      policyArn: awsManagedPolicyArn(this.partition.partition, SSM_MANAGED_INSTANCE_POLICY),
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
