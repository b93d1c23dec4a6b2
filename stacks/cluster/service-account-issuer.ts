import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import type { Config } from "../../lib/config";
import { resourceName } from "../../lib/naming";
import { OIDC_DOCUMENT_KEYS, STS_AUDIENCE } from "../../lib/workload-identity";
import type { ClusterKey } from "./cluster-key";
import type { NodeRole } from "./node-roles";
import { parameterNames } from "./settings";
import { denyRequestsWithoutTls } from "../../lib/s3-policy";

export interface ServiceAccountIssuerProps {
  readonly config: Config;
  readonly key: ClusterKey;
  /** The control plane's role: reads the signing key, uploads the two documents. */
  readonly controlPlaneRole: NodeRole;
}

/**
 * A service-account token issuer that AWS STS trusts (kops'
 * service-account-issuer-discovery model), so that a pod can assume an IAM
 * role with its projected token and no long-lived key exists anywhere:
 *
 * - the signing key, generated here (RSA 2048) and delivered like the CA key:
 *   a SecureString under the cluster key that only the control plane may
 *   decrypt. kubeadm uses an sa.key it finds in place, so a rebuilt control
 *   plane signs with the same key and earlier tokens stay valid;
 * - a bucket whose only public objects are the discovery document and the
 *   JWKS, at the keys the OIDC discovery spec derives from the issuer URL.
 *   Terraform cannot compute a JWKS: the control plane uploads what its API
 *   server serves at those paths right after `kubeadm init`, with the right
 *   to put those two keys and nothing else;
 * - the issuer URL, `https://<bucket>.s3.<region>.amazonaws.com`, in a String
 *   parameter the control plane reads (kube-apiserver
 *   `--service-account-issuer`): the bucket's name is known only at apply time;
 * - the IAM OIDC provider for that URL, audience `sts.amazonaws.com`.
 *
 * Public, by design: the two documents hold the issuer URL and the public
 * half of the signing key. Everything else in the bucket stays private (no
 * other key is readable; ACLs are disabled).
 */
export class ServiceAccountIssuer extends Construct {
  readonly bucket: S3Bucket;
  /** `https://<bucket regional domain>`: the tokens' `iss`. */
  readonly issuerUrl: string;
  /** The URL without its scheme: the prefix of the IAM condition keys (`<host>:sub`, `<host>:aud`). */
  readonly issuerHost: string;
  readonly provider: IamOpenidConnectProvider;
  readonly keyParameter: SsmParameter;
  readonly issuerParameter: SsmParameter;
  /** What the control plane must wait for before it boots. */
  readonly grants: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: ServiceAccountIssuerProps) {
    super(scope, id);
    const { config, key } = props;
    const names = parameterNames(config);

    const signingKey = new PrivateKey(this, "signing-key", { algorithm: "RSA", rsaBits: 2048 });
    this.keyParameter = new SsmParameter(this, "signing-key-parameter", {
      name: names.serviceAccountKey,
      description: `Service-account token signing key of the ${config.name} cluster (read by the control plane only)`,
      type: "SecureString",
      keyId: key.arn,
      value: signingKey.privateKeyPem,
    });
    key.allowParameterDecrypt("ControlPlaneDecryptsServiceAccountKey", props.controlPlaneRole.role.arn, [names.serviceAccountKey]);

    this.bucket = new S3Bucket(this, "bucket", {
      bucketPrefix: `${resourceName(config, "oidc")}-`,
      forceDestroy: true,
      tags: { Name: resourceName(config, "service-account-issuer") },
    });
    this.issuerHost = this.bucket.bucketRegionalDomainName;
    this.issuerUrl = `https://${this.issuerHost}`;
    const bucketArn = this.bucket.arn;
    const documents = Object.values(OIDC_DOCUMENT_KEYS).map((k) => `${bucketArn}/${k}`);

    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      // SSE-S3: anonymous readers (STS) cannot use a KMS key.
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    const ownership = new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    // ACLs stay blocked; the bucket policy below is the one public grant.
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      ignorePublicAcls: true,
      blockPublicPolicy: false,
      restrictPublicBuckets: false,
    });
    const policy = new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "PublicReadOfTheTwoDiscoveryDocuments", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: documents },
          denyRequestsWithoutTls(bucketArn),
        ],
      }),
      // S3 refuses a public policy until the bucket's block allows it.
      dependsOn: [publicAccess, ownership],
    });

    this.issuerParameter = new SsmParameter(this, "issuer-parameter", {
      name: names.serviceAccountIssuer,
      description: `Service-account issuer URL of the ${config.name} cluster (kube-apiserver --service-account-issuer)`,
      type: "String",
      value: this.issuerUrl,
    });

    this.provider = new IamOpenidConnectProvider(this, "provider", {
      url: this.issuerUrl,
      clientIdList: [STS_AUDIENCE],
      tags: { Name: resourceName(config, "service-account-issuer") },
    });

    const access = new IamRolePolicy(this, "control-plane", {
      role: props.controlPlaneRole.role.id,
      name: "service-account-issuer",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "ReadSigningKeyAndIssuer", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [this.keyParameter.arn, this.issuerParameter.arn] },
          { Sid: "PublishTheTwoDiscoveryDocuments", Effect: "Allow", Action: ["s3:PutObject"], Resource: documents },
        ],
      }),
    });
    this.grants = [access, this.keyParameter, this.issuerParameter, policy, encryption];
  }
}
