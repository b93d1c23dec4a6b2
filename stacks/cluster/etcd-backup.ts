import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { Config } from "../../lib/config";
import { resourceName } from "../../lib/naming";
import { arnPartition } from "../../lib/storage";
import type { NodeRole } from "./node-roles";
import type { ClusterKey } from "./cluster-key";
import { etcdBackupPrefix, parameterNames } from "./settings";
import { denyRequestsWithoutTls } from "../../lib/s3-policy";

export interface EtcdBackupProps {
  readonly config: Config;
  /** The control plane's role, which uploads the snapshots. */
  readonly controlPlaneRole: NodeRole;
  /** The cluster key: snapshots hold every Secret (encrypted by the API server) and are encrypted again with it. */
  readonly key: ClusterKey;
}

/** Days after which an unfinished multipart upload (an interrupted snapshot upload) is removed. */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 1;

/**
 * Where the control plane's etcd snapshots go, and its right to put them there.
 *
 * By default the stack owns the bucket: versioned, encrypted at rest with
 * the cluster key (SSE-KMS, without an S3 bucket key, so that KMS sees each
 * object's ARN as encryption context), all public access blocked, bucket-owner-enforced ownership (no
 * ACLs), a policy refusing any request not made over TLS, and a lifecycle
 * rule that counts snapshots instead of ageing them. Every snapshot is a new
 * version of one object (lib/backups.ts), so S3's per-key count of
 * noncurrent versions is the count of older snapshots: the current one and
 * the `keepSnapshots - 1` newest older ones stay whatever their age, and an
 * older one goes `noncurrentRetentionDays` after it was replaced. No rule
 * expires the current version, so a timer that stopped leaves the newest
 * snapshots in place instead of letting them age out. `force_destroy` lets
 * `cdktf destroy` empty and delete it: a bucket in these stacks lives and
 * dies with them.
 *
 * With `existingBucket` the stack creates no bucket and changes none of its
 * settings: it only lets the control plane write to it. Snapshots then
 * outlive `destroy '*'`, and the bucket's own lifecycle rules apply.
 *
 * The control plane may put (and read back, any version, for a restore from
 * the node) objects only under `<name>/etcd/`, and list only that prefix
 * (its objects and their versions). It cannot
 * delete: old snapshots go by the lifecycle rule, so a compromised node can
 * add snapshots but not erase the history. The upload names the cluster key
 * itself (`--sse aws:kms`), so an existing bucket gets the same encryption;
 * the key policy lets the control-plane role generate data keys and decrypt
 * (multipart uploads and restores need it) through S3 and only for objects
 * under that prefix.
 *
 * The bucket's address reaches the node through an SSM parameter that
 * Terraform keeps current, not through user-data (which running nodes ignore).
 */
export class EtcdBackup extends Construct {
  /** The bucket this stack owns; undefined when config names an existing one. */
  readonly bucket?: S3Bucket;
  readonly bucketName: string;
  readonly prefix: string;
  /** `s3://<bucket>/<prefix>`, for the control plane. */
  readonly locationParameter: SsmParameter;
  /** What the control plane must wait for before it boots. */
  readonly grants: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: EtcdBackupProps) {
    super(scope, id);
    const { config } = props;
    const settings = config.cluster.etcdBackup;
    this.prefix = etcdBackupPrefix(config);
    const partition = arnPartition(config.region);

    let bucketArn: string;
    const bucketSettings: ITerraformDependable[] = [];
    if (settings.existingBucket !== null) {
      this.bucketName = settings.existingBucket;
      bucketArn = `arn:${partition}:s3:::${settings.existingBucket}`;
    } else {
      const bucket = new S3Bucket(this, "bucket", {
        // AWS appends a unique suffix: bucket names are global.
        bucketPrefix: `${resourceName(config, "etcd")}-`,
        forceDestroy: true,
        tags: { Name: resourceName(config, "etcd-backups") },
      });
      this.bucket = bucket;
      this.bucketName = bucket.bucket;
      bucketArn = bucket.arn;

      const versioning = new S3BucketVersioningA(this, "versioning", {
        bucket: bucket.id,
        versioningConfiguration: { status: "Enabled" },
      });
      const encryption = new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
        bucket: bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.key.arn }, bucketKeyEnabled: false }],
      });
      const publicAccess = new S3BucketPublicAccessBlock(this, "public-access-block", {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      const ownership = new S3BucketOwnershipControls(this, "ownership", {
        bucket: bucket.id,
        rule: { objectOwnership: "BucketOwnerEnforced" },
      });
      const policy = new S3BucketPolicy(this, "tls-only", {
        bucket: bucket.id,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            denyRequestsWithoutTls(bucketArn),
          ],
        }),
        // S3 refuses concurrent changes to one bucket's settings; the block comes first.
        dependsOn: [publicAccess],
      });
      const lifecycle = new S3BucketLifecycleConfiguration(this, "lifecycle", {
        bucket: bucket.id,
        rule: [
          {
            id: "keep-newest-etcd-snapshots",
            status: "Enabled",
            filter: [{ prefix: this.prefix }],
            noncurrentVersionExpiration: [
              { noncurrentDays: settings.noncurrentRetentionDays, newerNoncurrentVersions: settings.keepSnapshots - 1 },
            ],
            abortIncompleteMultipartUpload: [{ daysAfterInitiation: ABORT_INCOMPLETE_UPLOAD_DAYS }],
          },
          {
            id: "remove-expired-delete-markers",
            status: "Enabled",
            filter: [{ prefix: this.prefix }],
            expiration: [{ expiredObjectDeleteMarker: true }],
          },
        ],
        // Noncurrent-version rules need versioning on.
        dependsOn: [versioning],
      });
      bucketSettings.push(versioning, encryption, publicAccess, ownership, policy, lifecycle);
    }

    this.locationParameter = new SsmParameter(this, "location", {
      name: parameterNames(config).etcdBackupLocation,
      description: `Where the control plane of ${config.name} uploads its etcd snapshots`,
      type: "String",
      value: `s3://${this.bucketName}/${this.prefix}`,
    });

    const objects = `${bucketArn}/${this.prefix}*`;
    // An existing bucket's default encryption may use an S3 Bucket Key (this stack
    // does not change it, and the upload sends no per-object setting): S3 then asks
    // KMS with the bucket's ARN as context. IAM still limits the role to the prefix.
    const contexts = this.bucket === undefined ? [objects, bucketArn] : objects;
    props.key.allowS3Objects("ControlPlaneEncryptsEtcdSnapshots", props.controlPlaneRole.role.arn, ["kms:GenerateDataKey", "kms:Decrypt"], contexts);
    const access = new IamRolePolicy(this, "upload", {
      role: props.controlPlaneRole.role.id,
      name: "etcd-backups",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "ReadBackupLocation", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [this.locationParameter.arn] },
          {
            Sid: "WriteAndReadThisClustersSnapshots",
            Effect: "Allow",
            // Older snapshots are older versions of the one object: reading them for a restore needs GetObjectVersion.
            Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject", "s3:GetObjectVersion"],
            Resource: [objects],
          },
          {
            Sid: "ListThisClustersSnapshots",
            Effect: "Allow",
            Action: ["s3:ListBucket", "s3:ListBucketVersions"],
            Resource: [bucketArn],
            Condition: { StringLike: { "s3:prefix": [`${this.prefix}*`] } },
          },
        ],
      }),
    });
    this.grants = [access, this.locationParameter, ...bucketSettings];
  }
}
