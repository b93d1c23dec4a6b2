/**
 * The EBS CSI controller's own AWS credentials: an IAM user whose only
 * permissions are `ebsCsiPolicy(config)` (every write limited to this region
 * and to volumes and instances tagged for this cluster), one access key, and
 * a kube-system Secret holding that key, which the chart's `awsAccessSecret`
 * hands to the controller as environment variables.
 *
 * Why a user and not a node role: a node role reaches a pod only through
 * IMDS with hop limit 2, and then every pod on that node can take the role.
 * With this user every node keeps hop limit 1 (lib/storage.ts) and no node
 * role has any EC2 volume permission. The price: a long-lived key, kept in
 * Terraform state (the access key and the Secret, both stored as sensitive)
 * and in the Secret, readable by whoever may read Secrets in kube-system.
 * Rotation: replace the access key resource (`terraform apply -replace`,
 * docs/data-safety.md). Terraform then creates the new key first, updates the
 * Secret, rolls the controller (the driver carries a hash of the key id as a
 * pod annotation) and only then deletes the old key.
 */
import { Construct } from "constructs";
import { IamAccessKey } from "@cdktf/provider-aws/lib/iam-access-key";
import { IamUser } from "@cdktf/provider-aws/lib/iam-user";
import { IamUserPolicy } from "@cdktf/provider-aws/lib/iam-user-policy";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import type { Config } from "../../lib/config";
import { resourceName } from "../../lib/naming";
import { ebsCsiPolicy } from "../../lib/storage";

/**
 * The Secret the controller reads its key from, and its two keys: the
 * chart's `awsAccessSecret` value takes exactly this shape.
 */
export const EBS_CSI_CREDENTIALS_SECRET = {
  name: "aws-ebs-csi-controller-credentials",
  keyId: "key_id",
  accessKey: "access_key",
} as const;

/** The IAM path of the project's users: `/<name>/`. */
export function iamPath(config: Pick<Config, "name">): string {
  return `/${config.name}/`;
}

export interface EbsCsiCredentialsProps {
  readonly config: Config;
  readonly kubernetes: KubernetesProvider;
  /** Namespace of the driver (and so of the Secret). */
  readonly namespace: string;
}

export class EbsCsiCredentials extends Construct {
  readonly user: IamUser;
  readonly policy: IamUserPolicy;
  readonly accessKey: IamAccessKey;
  readonly secret: SecretV1;

  constructor(scope: Construct, id: string, props: EbsCsiCredentialsProps) {
    super(scope, id);
    const { config } = props;
    const name = resourceName(config, "ebs-csi-controller");

    this.user = new IamUser(this, "user", { name, path: iamPath(config) });
    // Inline: it lives and dies with the user (an IAM user's inline policies may hold 2,048 characters; the tests check it fits).
    this.policy = new IamUserPolicy(this, "policy", {
      user: this.user.name,
      name: "ebs-csi-controller",
      policy: JSON.stringify(ebsCsiPolicy(config)),
    });

    // A replacement creates the new key before deleting the old one (a user may hold two).
    this.accessKey = new IamAccessKey(this, "access-key", {
      user: this.user.name,
      lifecycle: { createBeforeDestroy: true },
    });

    // `data` is a sensitive attribute of the Kubernetes provider: hidden from plans, stored as sensitive in state.
    this.secret = new SecretV1(this, "secret", {
      provider: props.kubernetes,
      metadata: { name: EBS_CSI_CREDENTIALS_SECRET.name, namespace: props.namespace },
      type: "Opaque",
      data: {
        [EBS_CSI_CREDENTIALS_SECRET.keyId]: this.accessKey.id,
        [EBS_CSI_CREDENTIALS_SECRET.accessKey]: this.accessKey.secret,
      },
    });
  }
}
