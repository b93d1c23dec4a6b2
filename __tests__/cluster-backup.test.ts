import { gunzipSync } from "node:zlib";
import { oneResource, resourcesOf, synthApp, type SynthesizedStack } from "./helpers/synth";
import { ebsCsiPolicy } from "../lib/storage";
import { SSM_MANAGED_INSTANCE_POLICY } from "../stacks/cluster/node-roles";
import { etcdBackupPrefix, parameterNames } from "../stacks/cluster/settings";
import { ABORT_INCOMPLETE_UPLOAD_DAYS } from "../stacks/cluster/etcd-backup";

type Json = Record<string, any>;

/** The Terraform address of the only resource of `type` whose id contains `idPart`. */
function addressOf(stack: SynthesizedStack, type: string, idPart: string): string {
  const ids = Object.keys(resourcesOf(stack, type)).filter((id) => id.includes(idPart));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching ${idPart}, found ${ids.join(", ")}`);
  return `${type}.${ids[0]}`;
}

function policyOf(stack: SynthesizedStack, idPart: string): { Statement: Json[] } {
  return JSON.parse(String(oneResource(stack, "aws_iam_role_policy", idPart).policy));
}

function controlPlaneScript(stack: SynthesizedStack): string {
  return gunzipSync(Buffer.from(String(oneResource(stack, "aws_instance").user_data_base64), "base64")).toString("utf8");
}

const S3_TYPES = [
  "aws_s3_bucket",
  "aws_s3_bucket_versioning",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_ownership_controls",
  "aws_s3_bucket_policy",
  "aws_s3_bucket_lifecycle_configuration",
];

describe("EtcdBackup", () => {
  const app = synthApp();
  const cluster = app.stack("cluster");
  const external = synthApp({ cluster: { etcdBackup: { existingBucket: "acme-etcd-backups", intervalMinutes: 30 } } }).stack("cluster");
  const off = synthApp({ cluster: { etcdBackup: { enabled: false }, deadNodeCleanup: { enabled: false } } }).stack("cluster");
  const prefix = etcdBackupPrefix(app.config);
  const bucketRef = (attr: string) => `\${${addressOf(cluster, "aws_s3_bucket", "etcd-backup")}.${attr}}`;

  describe("the bucket this stack owns (default)", () => {
    const bucket = oneResource(cluster, "aws_s3_bucket", "etcd-backup");

    it("gets a unique name from the project's prefix and is emptied and deleted by destroy", () => {
      expect(bucket).toMatchObject({ bucket_prefix: "k8s-mesh-etcd-", force_destroy: true });
      expect(prefix).toBe("k8s-mesh/etcd/");
    });

    it("is versioned and encrypted at rest with the cluster key, without a bucket key (CKV_AWS_145)", () => {
      expect(oneResource(cluster, "aws_s3_bucket_versioning", "etcd-backup")).toMatchObject({ bucket: bucketRef("id"), versioning_configuration: { status: "Enabled" } });
      expect(oneResource(cluster, "aws_s3_bucket_server_side_encryption_configuration", "etcd-backup")).toEqual({
        bucket: bucketRef("id"),
        rule: [
          {
            apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: `\${${addressOf(cluster, "aws_kms_key", "key")}.arn}` },
            bucket_key_enabled: false,
          },
        ],
      });
    });

    it("blocks every kind of public access and disables ACLs", () => {
      expect(oneResource(cluster, "aws_s3_bucket_public_access_block", "etcd-backup")).toEqual({
        bucket: bucketRef("id"),
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(oneResource(cluster, "aws_s3_bucket_ownership_controls", "etcd-backup")).toMatchObject({ rule: { object_ownership: "BucketOwnerEnforced" } });
    });

    it("denies every request not made over TLS, on the bucket and its objects", () => {
      const policy = oneResource(cluster, "aws_s3_bucket_policy", "etcd-backup");
      expect(JSON.parse(String(policy.policy)).Statement).toEqual([
        {
          Sid: "DenyRequestsWithoutTls",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucketRef("arn"), `${bucketRef("arn")}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]);
      expect(policy.depends_on).toEqual([addressOf(cluster, "aws_s3_bucket_public_access_block", "etcd-backup")]);
    });

    it("keeps the newest keepSnapshots snapshots whatever their age (a count per key, and every snapshot is a version of one key), only under this cluster's prefix", () => {
      const lifecycle = oneResource(cluster, "aws_s3_bucket_lifecycle_configuration");
      const { keepSnapshots, noncurrentRetentionDays } = app.config.cluster.etcdBackup;
      expect(lifecycle.rule).toEqual([
        {
          id: "keep-newest-etcd-snapshots",
          status: "Enabled",
          filter: [{ prefix }],
          noncurrent_version_expiration: [{ noncurrent_days: noncurrentRetentionDays, newer_noncurrent_versions: keepSnapshots - 1 }],
          abort_incomplete_multipart_upload: [{ days_after_initiation: ABORT_INCOMPLETE_UPLOAD_DAYS }],
        },
        { id: "remove-expired-delete-markers", status: "Enabled", filter: [{ prefix }], expiration: [{ expired_object_delete_marker: true }] },
      ]);
      // No rule ages out the current version: a stopped timer leaves the last snapshots in place.
      for (const r of lifecycle.rule as Json[]) expect(r.expiration?.[0]?.days).toBeUndefined();
      expect(lifecycle.depends_on).toEqual([addressOf(cluster, "aws_s3_bucket_versioning", "etcd-backup")]);
      const more = synthApp({ cluster: { etcdBackup: { keepSnapshots: 101, noncurrentRetentionDays: 3 } } }).stack("cluster");
      const [rule] = oneResource(more, "aws_s3_bucket_lifecycle_configuration").rule as Json[];
      expect(rule).toMatchObject({ noncurrent_version_expiration: [{ noncurrent_days: 3, newer_noncurrent_versions: 100 }] });
    });

    it("keeps exactly the newest keepSnapshots snapshots of a long-stopped timer, under S3's documented noncurrent-version rule", () => {
      // S3 (Lifecycle configuration elements, NoncurrentVersionExpiration): a noncurrent version is
      // deleted when it is more than NoncurrentDays noncurrent AND more than NewerNoncurrentVersions
      // newer noncurrent versions of the same key exist. Modelled here for hourly uploads that stop.
      const { keepSnapshots, noncurrentRetentionDays } = app.config.cluster.etcdBackup;
      const [rule] = oneResource(cluster, "aws_s3_bucket_lifecycle_configuration").rule as Json[];
      const { noncurrent_days: days, newer_noncurrent_versions: newer } = rule?.noncurrent_version_expiration[0] as Json;
      const uploads = Array.from({ length: 24 * 10 }, (_, i) => i * 3600); // ten days of hourly snapshots, one key
      const kept = (now: number) =>
        uploads.filter((_t, i) => {
          const replacedAt = uploads[i + 1];
          if (replacedAt === undefined) return true; // the current version
          const newerNoncurrent = uploads.length - 2 - i;
          return !(now - replacedAt > days * 86400 && newerNoncurrent >= newer);
        });
      const stopped = (uploads.at(-1) as number) + 1;
      expect(kept(stopped + 365 * 86400)).toHaveLength(keepSnapshots);
      // While the timer runs, every snapshot of the last noncurrentRetentionDays is there too.
      expect(kept(stopped).length).toBeGreaterThanOrEqual(noncurrentRetentionDays * 24);
    });

    it("tells the control plane the bucket and prefix through an SSM parameter Terraform keeps current", () => {
      const location = oneResource(cluster, "aws_ssm_parameter", "etcd-backup");
      expect(location).toEqual(expect.objectContaining({ name: parameterNames(app.config).etcdBackupLocation, type: "String", value: `s3://${bucketRef("bucket")}/${prefix}` }));
      expect(location.lifecycle).toBeUndefined();
    });
  });

  describe("an existing bucket named in config", () => {
    it("creates and changes no bucket resource: destroy leaves the bucket and its snapshots alone", () => {
      for (const type of S3_TYPES) expect(Object.keys(resourcesOf(external, type)).filter((id) => id.includes("etcd"))).toEqual([]);
    });

    it("points the control plane at that bucket, under this cluster's prefix", () => {
      expect(oneResource(external, "aws_ssm_parameter", "etcd-backup").value).toBe(`s3://acme-etcd-backups/${prefix}`);
      const [, write, list] = policyOf(external, "etcd-backup").Statement;
      expect(write?.Resource).toEqual([`arn:aws:s3:::acme-etcd-backups/${prefix}*`]);
      expect(list?.Resource).toEqual(["arn:aws:s3:::acme-etcd-backups"]);
    });
  });

  describe("the control plane's rights", () => {
    const statements = policyOf(cluster, "etcd-backup").Statement;

    it("may put, abort and read objects (any version) only under this cluster's prefix, and list only that prefix", () => {
      expect(statements).toEqual([
        { Sid: "ReadBackupLocation", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [`\${${addressOf(cluster, "aws_ssm_parameter", "etcd-backup")}.arn}`] },
        { Sid: "WriteAndReadThisClustersSnapshots", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject", "s3:GetObjectVersion"], Resource: [`${bucketRef("arn")}/${prefix}*`] },
        { Sid: "ListThisClustersSnapshots", Effect: "Allow", Action: ["s3:ListBucket", "s3:ListBucketVersions"], Resource: [bucketRef("arn")], Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } } },
      ]);
    });

    it("can never delete a snapshot or change the bucket", () => {
      const actions = statements.flatMap((s) => s.Action as string[]);
      expect(actions.filter((a) => /Delete|Put(Bucket|Lifecycle)|\*/.test(a))).toEqual([]);
    });

    it("belongs to the control-plane role, which boots only once the grant, the parameter and the bucket's settings exist", () => {
      const policy = oneResource(cluster, "aws_iam_role_policy", "etcd-backup");
      expect(String(policy.role)).toContain("control-plane-role");
      const deps = oneResource(cluster, "aws_instance").depends_on as string[];
      for (const [type, id] of [
        ["aws_iam_role_policy", "etcd-backup"],
        ["aws_ssm_parameter", "etcd-backup"],
        ["aws_s3_bucket_policy", "etcd-backup"],
        ["aws_s3_bucket_lifecycle_configuration", "etcd-backup"],
        ["aws_s3_bucket_server_side_encryption_configuration", "etcd-backup"],
      ] as const) {
        expect(deps).toContain(addressOf(cluster, type, id));
      }
    });
  });

  describe("the timer on the control plane", () => {
    it("snapshots at the configured interval with the helper embedded in the user-data", () => {
      const script = controlPlaneScript(cluster);
      expect(script).toContain("readonly ETCD_BACKUP_INTERVAL_MINUTES='60'");
      expect(script).toMatch(/install_timer k8s-etcd-backup .*\n.* "\$\{ETCD_BACKUP_INTERVAL_MINUTES\}min" /);
      expect(script).toContain(`readonly SSM_ETCD_BACKUP_LOCATION='${parameterNames(app.config).etcdBackupLocation}'`);
      expect(controlPlaneScript(external)).toContain("readonly ETCD_BACKUP_INTERVAL_MINUTES='30'");
    });

    it("is absent, with the bucket, parameter and grant, when backups are off", () => {
      for (const type of S3_TYPES) expect(Object.keys(resourcesOf(off, type)).filter((id) => id.includes("etcd"))).toEqual([]);
      expect(Object.keys(resourcesOf(off, "aws_ssm_parameter")).filter((id) => id.includes("etcd"))).toEqual([]);
      expect(Object.keys(resourcesOf(off, "aws_iam_role_policy")).filter((id) => id.includes("etcd"))).toEqual([]);
      expect(controlPlaneScript(off)).not.toContain("k8s-etcd-backup");
    });
  });
});

describe("DeadNodeCleanup", () => {
  const app = synthApp();
  const cluster = app.stack("cluster");
  const off = synthApp({ cluster: { etcdBackup: { enabled: false }, deadNodeCleanup: { enabled: false } } }).stack("cluster");

  it("lets the control plane describe instances and nothing else (DescribeInstances takes no resource scope)", () => {
    const policy = oneResource(cluster, "aws_iam_role_policy", "dead-node-cleanup");
    expect(String(policy.role)).toContain("control-plane-role");
    expect(JSON.parse(String(policy.policy)).Statement).toEqual([
      { Sid: "LookUpWorkerInstances", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" },
    ]);
  });

  it("runs from a timer on the control plane, with jq installed and the configured NotReady delay", () => {
    const script = controlPlaneScript(cluster);
    expect(script).toContain("readonly EXTRA_APT_PACKAGES='jq'");
    expect(script).toContain("install_timer k8s-node-cleanup ");
    expect(script).toContain(`readonly NOT_READY_MINUTES='${app.config.cluster.deadNodeCleanup.notReadyMinutes}'`);
    expect(script).toContain("export KUBECONFIG=/etc/kubernetes/admin.conf");
  });

  it("is absent when turned off", () => {
    expect(Object.keys(resourcesOf(off, "aws_iam_role_policy")).filter((id) => id.includes("cleanup"))).toEqual([]);
    expect(controlPlaneScript(off)).not.toContain("k8s-node-cleanup");
  });
});

describe("node roles and EBS volumes", () => {
  const app = synthApp();
  const cluster = app.stack("cluster");
  /** Every action of every inline policy on a node role, by policy id. */
  const actionsByPolicy = Object.entries(resourcesOf(cluster, "aws_iam_role_policy")).map(
    ([id, p]) => [id, (JSON.parse(String(p.policy)).Statement as Json[]).flatMap((s) => [s.Action as string | string[]].flat())] as const,
  );

  it("gives no node role any EC2 volume permission: the EBS CSI controller has credentials of its own", () => {
    expect(actionsByPolicy.length).toBeGreaterThanOrEqual(3); // parameters of both roles, etcd backup, node cleanup
    const volumeAction = /^ec2:(\*|.*Volume.*|CreateTags|DeleteTags)$|^\*$/;
    for (const [id, actions] of actionsByPolicy) {
      expect({ id, volumeActions: actions.filter((a) => volumeAction.test(a)) }).toEqual({ id, volumeActions: [] });
    }
    // The check can fail: the controller's policy would be caught.
    expect(ebsCsiPolicy(app.config).Statement.flatMap((s) => s.Action).filter((a) => volumeAction.test(a)).length).toBeGreaterThan(0);
    expect(Object.keys(resourcesOf(cluster, "aws_iam_role_policy")).filter((id) => id.includes("ebs"))).toEqual([]);
    // Managed policies on the roles: Session Manager alone.
    const managed = new Set(Object.values(resourcesOf(cluster, "aws_iam_role_policy_attachment")).map((a) => String(a.policy_arn).replace(/^arn:[^:]+:iam::aws:policy\//, "")));
    expect(managed).toEqual(new Set([SSM_MANAGED_INSTANCE_POLICY]));
  });

  it("gives the worker role no EC2 or S3 right at all", () => {
    const workerPolicies = Object.entries(resourcesOf(cluster, "aws_iam_role_policy")).filter(([, p]) => String(p.role).includes("worker-role"));
    // Its parameters, and completing its own group's launch hook (cluster-worker-join.test.ts).
    expect(workerPolicies.map(([id]) => id).sort()).toEqual([expect.stringContaining("launch-hook"), expect.stringContaining("worker-parameters")]);
    for (const [, p] of workerPolicies) expect(String(p.policy)).not.toMatch(/ec2:|s3:/);
  });
});

describe("worker replacement", () => {
  const app = synthApp();
  const cluster = app.stack("cluster");
  const script = controlPlaneScript(cluster);
  const token = oneResource(cluster, "aws_ssm_parameter", "join-token");

  it("keeps a fresh join token in the parameter Terraform does not write back, so a replacement worker joins", () => {
    expect(token.lifecycle).toEqual({ ignore_changes: ["value"] });
    // Every JOIN_TOKEN_REFRESH_HOURS hours (install_timer's EVERY argument; the harness run reads the unit it writes).
    expect(script).toMatch(/install_timer k8s-refresh-join-token .*\n.* 1min "\$\{JOIN_TOKEN_REFRESH_HOURS\}h" /);
    // The embedded helper writes exactly that parameter.
    expect(script).toContain(`readonly SSM_JOIN_TOKEN='${token.name}'`);
    expect(script).toMatch(/ssm put-parameter .*--name "\$\{SSM_JOIN_TOKEN\}"/);
    const policy = JSON.parse(String(oneResource(cluster, "aws_iam_role_policy", "control-plane-parameters").policy)).Statement as Json[];
    expect(policy.find((s) => s.Action.includes("ssm:PutParameter"))?.Resource).toEqual([`\${${addressOf(cluster, "aws_ssm_parameter", "join-token")}.arn}`]);
  });

  it("lets a worker read that parameter on each join attempt", () => {
    const worker = Buffer.from(String(oneResource(cluster, "aws_launch_template").user_data), "base64").toString("utf8");
    expect(worker).toContain(`readonly SSM_JOIN_TOKEN='${token.name}'`);
    expect(worker).toMatch(/JOIN_TOKEN="\$\(ssm_get "\$\{SSM_JOIN_TOKEN\}"\)"/);
  });
});
