/**
 * Configurations that together switch on every optional branch of the
 * stacks, for the tests that judge the whole synthesized output (Terraform's
 * own loader, the address walk). Add a variant here when a setting adds or
 * removes resources.
 */
export interface ConfigVariant {
  readonly name: string;
  /** Overrides as cdktf.json's context `config` would give them. */
  readonly context: Record<string, unknown>;
}

export const CONFIG_VARIANTS: readonly ConfigVariant[] = [
  { name: "defaults", context: {} },
  {
    name: "every optional branch on",
    context: {
      backend: { type: "s3", s3Bucket: "example-terraform-state", s3Region: "us-east-1" },
      network: { flowLogs: { enabled: true, trafficType: "ALL" } },
      access: { adminCidrs: ["198.51.100.0/24"], allowPublicNodePorts: true, sshKeyName: "ops" },
      cluster: {
        workers: { count: 3 },
        etcdBackup: { existingBucket: "example-etcd-snapshots" },
      },
      platform: { linkerd: { highAvailability: true } },
      apps: { benchmark: { enabled: true }, reviewsWeights: { v1: 0, v2: 1, v3: 1 } },
      alerting: { webhookEnabled: true },
    },
  },
  {
    name: "admin address looked up on every plan, vCPU quota unchecked",
    context: { access: { adminCidrLookup: "every-plan" }, cluster: { checkVcpuQuota: false } },
  },
  {
    name: "arm64 nodes, optional jobs, tracing and logs off",
    context: {
      cluster: {
        controlPlane: { instanceType: "t4g.medium" },
        workers: { instanceType: "t4g.large", count: 1 },
        etcdBackup: { enabled: false },
        deadNodeCleanup: { enabled: false },
      },
      platform: { tracing: { enabled: false }, logs: { enabled: false } },
    },
  },
];
