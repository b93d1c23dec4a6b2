/**
 * The configuration schema: field rules (zod) and the rules that relate
 * fields to each other. Every message says what is allowed; `load.ts` adds
 * the setting's path and the value it got.
 */
import { z } from "zod";
import { KUBERNETES, kubernetesMinor, unreleasedKubernetesVersion } from "../versions";
import { NODE_PORT_RANGE } from "../ports";
import { S3_MAX_NEWER_NONCURRENT_VERSIONS } from "../backups";
import { cidrContains, cidrsOverlap, cidrSize, cidrUnionSize, isCanonicalCidr, parseCidr } from "./cidr";

const cidr = z.string().refine(isCanonicalCidr, {
  message: "must be an IPv4 CIDR such as 10.0.0.0/16, with no host bits set",
});

/** The prefix lengths AWS accepts for a VPC and for a subnet. */
export const AWS_PREFIX_LENGTHS = { min: 16, max: 28 } as const;

/** A VPC or subnet range: an IPv4 CIDR of a size AWS accepts. */
const awsNetworkCidr = cidr.refine(
  (c) => {
    const bits = parseCidr(c)?.bits ?? AWS_PREFIX_LENGTHS.min;
    return bits >= AWS_PREFIX_LENGTHS.min && bits <= AWS_PREFIX_LENGTHS.max;
  },
  { message: `must have a prefix length from /${AWS_PREFIX_LENGTHS.min} to /${AWS_PREFIX_LENGTHS.max}: AWS accepts no larger and no smaller VPC or subnet` },
);

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/, {
    message: "must be 3-24 characters of lowercase letters, digits and '-', starting with a letter",
  });

const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, {
  message: "must be an AWS region name such as ap-northeast-2 or us-east-1",
});

const instanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, {
  message: "must be an EC2 instance type such as t3.large",
});

const nodePort = z
  .number()
  .int({ message: "must be a whole number" })
  .min(NODE_PORT_RANGE.min, { message: `must be within the NodePort range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}` })
  .max(NODE_PORT_RANGE.max, { message: `must be within the NodePort range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}` });

const positiveInt = (what: string) =>
  z.number().int({ message: `must be a whole number of ${what}` }).positive({ message: `must be at least 1 ${what}` });

const prometheusDuration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, {
  message: "must be a Prometheus duration such as 5s, 30s, 7d",
});

/** A gp3 volume size: 1 GiB to 16 TiB. */
const ebsVolumeGiB = z
  .number()
  .int({ message: "must be a whole number of GiB" })
  .min(1, { message: "must be at least 1 GiB (the smallest gp3 volume)" })
  .max(16384, { message: "must be at most 16384 GiB (the largest gp3 volume)" });

/** A Prometheus storage size (`--storage.tsdb.retention.size`): a whole number and a unit, powers of 2. */
const prometheusSize = z.string().regex(/^[1-9]\d*(B|KB|MB|GB|TB)$/, {
  message: "must be a Prometheus size: a whole number and B, KB, MB, GB or TB, such as 16GB",
});

const semver = z.string().regex(/^v?\d+\.\d+\.\d+$/, { message: "must be a version such as 1.2.3" });

export const configSchema = z.strictObject({
  name,
  region,
  availabilityZones: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, {
    message: "must be an availability zone name such as ap-northeast-2a",
  })),
  tags: z.record(
    z.string().min(1, { message: "must have keys of 1-128 characters (AWS tag key limit)" }).max(128, { message: "must have keys of 1-128 characters (AWS tag key limit)" }),
    z.string().max(256, { message: "must be at most 256 characters (AWS tag value limit)" }),
  ),
  backend: z.strictObject({
    type: z.enum(["local", "s3"], { message: "must be 'local' or 's3'" }),
    directory: z.string().min(1, { message: "must be a directory path" }),
    s3Bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "must be an S3 bucket name" }).nullable(),
    s3KeyPrefix: z.string().regex(/^[A-Za-z0-9._/-]+$/, { message: "must be a key prefix of letters, digits, '.', '_', '-', '/'" }),
    s3Region: region.nullable(),
  }),
  network: z.strictObject({
    vpcCidr: awsNetworkCidr,
    publicSubnetCidrs: z.array(awsNetworkCidr),
    flowLogs: z.strictObject({
      enabled: z.boolean(),
      retentionDays: z
        .number()
        .refine((d) => [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].includes(d), {
          message: "must be a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ... 3653 days",
        }),
      trafficType: z.enum(["ACCEPT", "REJECT", "ALL"], { message: "must be ACCEPT, REJECT or ALL" }),
    }),
  }),
  access: z.strictObject({
    adminCidrs: z.array(cidr),
    publicIpLookupUrl: z.url({ protocol: /^https$/, message: "must be an https:// URL that answers with the caller's IPv4" }),
    adminCidrLookup: z.enum(["once", "every-plan"], { message: "must be 'once' or 'every-plan'" }),
    allowPublicNodePorts: z.boolean(),
    allowBroadAdminCidrs: z.boolean(),
    adminIdentityGeneration: positiveInt("generations"),
    sshKeyName: z
      .string()
      .min(1, { message: "must be the name of an EC2 key pair (1-255 characters)" })
      .max(255, { message: "must be the name of an EC2 key pair (1-255 characters)" })
      .nullable(),
  }),
  nodePorts: z.strictObject({ bookinfo: nodePort, grafana: nodePort }),
  cluster: z.strictObject({
    kubernetesVersion: z.string().regex(/^1\.\d{2}\.\d{1,2}$/, { message: "must be a full Kubernetes version such as 1.28.15" }),
    allowUnsupportedKubernetesVersion: z.boolean(),
    podCidr: cidr,
    serviceCidr: cidr,
    controlPlaneHostNumber: z.number().int({ message: "must be a whole number" }),
    controlPlane: z.strictObject({
      instanceType,
      rootVolumeGiB: z.number().int().min(20, { message: "must be at least 20 GiB (images, etcd, logs)" }).max(16384),
    }),
    workers: z.strictObject({
      count: z.number().int({ message: "must be a whole number" }).min(1, { message: "must be at least 1 (workloads do not run on the control plane)" }).max(50, { message: "must be at most 50" }),
      instanceType,
      rootVolumeGiB: z.number().int().min(20, { message: "must be at least 20 GiB (images, logs)" }).max(16384),
    }),
    nodeGeneration: positiveInt("generations"),
    readinessTimeoutMinutes: z.number().int().min(5, { message: "must be at least 5 minutes (a node boots and installs packages first)" }).max(120),
    checkVcpuQuota: z.boolean({ message: "must be true or false" }),
    etcdBackup: z.strictObject({
      enabled: z.boolean(),
      intervalMinutes: z
        .number()
        .int({ message: "must be a whole number of minutes" })
        .min(5, { message: "must be at least 5 minutes (each snapshot copies the whole etcd database)" })
        .max(1440, { message: "must be at most 1440 minutes (one snapshot a day)" }),
      keepSnapshots: z
        .number()
        .int({ message: "must be a whole number of snapshots" })
        .min(2, { message: "must be at least 2 snapshots" })
        .max(S3_MAX_NEWER_NONCURRENT_VERSIONS + 1, {
          message: `must be at most ${S3_MAX_NEWER_NONCURRENT_VERSIONS + 1} (the current snapshot and S3's limit of ${S3_MAX_NEWER_NONCURRENT_VERSIONS} newer noncurrent versions)`,
        }),
      noncurrentRetentionDays: z
        .number()
        .int({ message: "must be a whole number of days" })
        .min(1, { message: "must be at least 1 day" })
        .max(3650, { message: "must be at most 3650 days" }),
      existingBucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "must be the name of an existing S3 bucket (3-63 lowercase letters, digits, '.', '-')" })
        .nullable(),
    }),
    deadNodeCleanup: z.strictObject({
      enabled: z.boolean(),
      notReadyMinutes: z
        .number()
        .int({ message: "must be a whole number of minutes" })
        .min(5, { message: "must be at least 5 minutes (a rebooting node is NotReady for a few minutes)" })
        .max(1440, { message: "must be at most 1440 minutes" }),
    }),
  }),
  versions: z.strictObject({
    flannelChart: semver,
    linkerdCrdsChart: semver,
    linkerdControlPlaneChart: semver,
    kubePrometheusStackChart: semver,
    awsEbsCsiDriverChart: semver,
    linkerdJaegerChart: semver,
    lokiChart: semver,
    fluentBitChart: semver,
    bookinfoImageTag: semver,
    fortioImage: z.string().regex(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/, { message: "must be an image reference with a tag, e.g. fortio/fortio:1.69.5" }),
  }),
  platform: z.strictObject({
    helmTimeoutSeconds: z.number().int().min(60, { message: "must be at least 60 seconds" }).max(3600),
    linkerd: z.strictObject({
      highAvailability: z.boolean(),
      trustAnchorValidityHours: positiveInt("hours"),
      issuerValidityHours: positiveInt("hours"),
      issuerEarlyRenewalHours: positiveInt("hours"),
    }),
    monitoring: z.strictObject({
      retention: prometheusDuration,
      scrapeInterval: prometheusDuration,
      meshScrapeInterval: prometheusDuration,
      prometheusVolumeGiB: ebsVolumeGiB,
      retentionSize: prometheusSize,
      alertmanagerVolumeGiB: ebsVolumeGiB,
      grafanaVolumeGiB: ebsVolumeGiB,
    }),
    tracing: z.strictObject({
      enabled: z.boolean({ message: "must be true or false" }),
      samplingPercentage: z
        .number({ message: "must be a number" })
        .gt(0, { message: "must be more than 0 (to stop tracing, set platform.tracing.enabled to false)" })
        .max(100, { message: "must be at most 100" }),
      maxTraces: z
        .number()
        .int({ message: "must be a whole number of traces" })
        .min(100, { message: "must be at least 100 traces" })
        .max(100000, { message: "must be at most 100000 traces (Jaeger keeps them in memory)" }),
    }),
    logs: z.strictObject({
      enabled: z.boolean({ message: "must be true or false" }),
      retentionDays: z
        .number()
        .int({ message: "must be a whole number of days (Loki's index is per day)" })
        .min(1, { message: "must be at least 1 day" })
        .max(365, { message: "must be at most 365 days" }),
      volumeGiB: ebsVolumeGiB,
    }),
    storage: z.strictObject({
      volumeDeletionTimeoutSeconds: z.number().int({ message: "must be a whole number of seconds" }).min(60, { message: "must be at least 60 seconds (deleting a volume takes up to a minute)" }).max(3600, { message: "must be at most 3600 seconds" }),
    }),
  }),
  apps: z.strictObject({
    trafficRequestsPerSecond: z.number().positive({ message: "must be more than 0 requests per second" }).max(1000),
    reviewsWeights: z.partialRecord(
      z.enum(["v1", "v2", "v3"], { message: "must be one of the reviews versions v1, v2, v3" }),
      z.number().int({ message: "must be a whole number" }).min(0, { message: "must be 0 or more" }),
    ),
    benchmark: z.strictObject({
      enabled: z.boolean(),
      requestsPerSecond: positiveInt("requests per second"),
      durationSeconds: z.number().int().min(10, { message: "must be at least 10 seconds" }).max(3600),
      connections: positiveInt("connections"),
    }),
  }),
  alerting: z.strictObject({
    webhookEnabled: z.boolean({ message: "must be true or false" }),
    availabilitySlo: z.number().gt(0.5, { message: "must be a fraction above 0.5 and below 1, e.g. 0.999" }).lt(1, { message: "must be a fraction above 0.5 and below 1, e.g. 0.999" }),
    latencyP99ThresholdMs: positiveInt("milliseconds"),
  }),
});

export type Config = z.infer<typeof configSchema>;

/** A problem found by a cross-field rule: where, and what is allowed. */
export interface RuleProblem {
  readonly path: string;
  readonly message: string;
}

/** Prometheus duration → seconds (`1h30m` → 5400). */
export function durationSeconds(d: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(n) * (units[unit as string] ?? 0);
  return total;
}

/** The share of Prometheus' volume its size-based retention may fill. */
export const PROMETHEUS_VOLUME_FILL = 0.85;

/** Prometheus size → bytes (`16GB` → 16 × 2^30; Prometheus' units are powers of 2). */
export function prometheusSizeBytes(size: string): number {
  const units: Record<string, number> = { B: 1, KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40 };
  const m = /^(\d+)(B|KB|MB|GB|TB)$/.exec(size);
  return m ? Number(m[1]) * (units[m[2] as string] ?? 0) : NaN;
}

/** The shortest admin CIDR prefix accepted without access.allowBroadAdminCidrs. */
export const MIN_ADMIN_PREFIX = 16;
/** The most addresses all admin CIDRs together may cover without access.allowBroadAdminCidrs: a /8. */
export const MAX_ADMIN_ADDRESSES = 2 ** 24;

/** Records a problem found by a cross-field rule. */
export type AddProblem = (path: string, message: string) => void;

/**
 * A rule that relates settings to each other. Keep each rule small: while any
 * setting it reads is itself invalid, the rule is skipped (the field's own
 * problem is reported instead), and the other rules still run. Add a rule as
 * a new entry here.
 */
export type CrossFieldRule = (c: Config, add: AddProblem) => void;

export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  // Region and zones.
  (c, add) => {
    if (c.availabilityZones.length < 2) add("availabilityZones", "must list at least 2 availability zones");
  },
  (c, add) => {
    c.availabilityZones.forEach((az, i) => {
      if (!az.startsWith(c.region)) add(`availabilityZones[${i}]`, `must be a zone of region ${c.region}, e.g. ${c.region}a`);
    });
  },
  (c, add) => {
    if (new Set(c.availabilityZones).size !== c.availabilityZones.length) add("availabilityZones", "must not repeat a zone");
  },

  // Subnets.
  (c, add) => {
    if (c.network.publicSubnetCidrs.length !== c.availabilityZones.length) {
      add("network.publicSubnetCidrs", `must list one subnet per availability zone (${c.availabilityZones.length})`);
    }
  },
  (c, add) => {
    const subnets = c.network.publicSubnetCidrs;
    subnets.forEach((s, i) => {
      if (!cidrContains(c.network.vpcCidr, s)) add(`network.publicSubnetCidrs[${i}]`, `must lie inside the VPC ${c.network.vpcCidr}`);
    });
  },
  (c, add) => {
    const subnets = c.network.publicSubnetCidrs;
    subnets.forEach((s, i) => {
      subnets.slice(0, i).forEach((other, j) => {
        if (cidrsOverlap(s, other)) add(`network.publicSubnetCidrs[${i}]`, `must not overlap network.publicSubnetCidrs[${j}] (${other})`);
      });
    });
  },
  (c, add) => {
    const firstSubnet = c.network.publicSubnetCidrs[0];
    if (firstSubnet && parseCidr(firstSubnet)) {
      // AWS reserves the first four addresses and the last one of every subnet.
      const max = cidrSize(firstSubnet) - 2;
      const n = c.cluster.controlPlaneHostNumber;
      if (n < 4 || n > max) add("cluster.controlPlaneHostNumber", `must be between 4 and ${max}: a usable address of the first subnet ${firstSubnet}`);
    }
  },

  // Pod and service networks.
  (c, add) => {
    if (cidrsOverlap(c.cluster.podCidr, c.network.vpcCidr)) add("cluster.podCidr", `must not overlap the VPC ${c.network.vpcCidr}`);
  },
  (c, add) => {
    if (cidrsOverlap(c.cluster.serviceCidr, c.network.vpcCidr)) add("cluster.serviceCidr", `must not overlap the VPC ${c.network.vpcCidr}`);
  },
  (c, add) => {
    if (cidrsOverlap(c.cluster.serviceCidr, c.cluster.podCidr)) add("cluster.serviceCidr", `must not overlap cluster.podCidr ${c.cluster.podCidr}`);
  },

  // Access: nothing but the NodePorts may ever be open to the world, and nothing broad unless asked for.
  (c, add) => {
    const broad = "(set access.allowBroadAdminCidrs to true if you mean it)";
    c.access.adminCidrs.forEach((a, i) => {
      const bits = parseCidr(a)?.bits;
      if (bits === 0) {
        add(
          `access.adminCidrs[${i}]`,
          "must not be a /0: the API server and SSH are never open to the internet (to open only the NodePorts, set access.allowPublicNodePorts)",
        );
      } else if (bits !== undefined && bits < MIN_ADMIN_PREFIX && !c.access.allowBroadAdminCidrs) {
        add(`access.adminCidrs[${i}]`, `must be a /${MIN_ADMIN_PREFIX} or narrower: it opens the API server and the NodePorts to ${2 ** (32 - bits)} addresses ${broad}`);
      }
    });
  },
  (c, add) => {
    const broad = "(set access.allowBroadAdminCidrs to true if you mean it)";
    const covered = cidrUnionSize(c.access.adminCidrs.filter((a) => parseCidr(a)?.bits !== 0)); // a /0 is reported above
    if (covered === 2 ** 32) {
      add("access.adminCidrs", "must not cover every IPv4 address: together they open the API server to the internet, as a /0 would");
    } else if (covered > MAX_ADMIN_ADDRESSES && !c.access.allowBroadAdminCidrs) {
      add("access.adminCidrs", `must cover at most ${MAX_ADMIN_ADDRESSES} addresses (a /8) together; they cover ${covered} ${broad}`);
    }
  },

  // NodePorts.
  (c, add) => {
    if (c.nodePorts.bookinfo === c.nodePorts.grafana) add("nodePorts.grafana", `must differ from nodePorts.bookinfo (${c.nodePorts.bookinfo})`);
  },

  // Kubernetes version window.
  (c, add) => {
    const minor = Number(kubernetesMinor(c.cluster.kubernetesVersion).split(".")[1]);
    const { min, max } = KUBERNETES.linkerdSupportedMinors;
    if ((minor < min || minor > max) && !c.cluster.allowUnsupportedKubernetesVersion) {
      add(
        "cluster.kubernetesVersion",
        `must be 1.${min}.x to 1.${max}.x: Linkerd stable-2.14 supports only those minors ` +
          "(set cluster.allowUnsupportedKubernetesVersion to true to deploy another version at your own risk)",
      );
    } else {
      const unreleased = unreleasedKubernetesVersion(c.cluster.kubernetesVersion);
      if (unreleased) add("cluster.kubernetesVersion", unreleased);
    }
  },

  (c, add) => {
    const backup = c.cluster.etcdBackup;
    if (!backup.enabled && backup.existingBucket !== null) {
      add("cluster.etcdBackup.existingBucket", "must be unset when cluster.etcdBackup.enabled is false (no snapshot would be uploaded to it)");
    }
  },

  // Backend.
  (c, add) => {
    if (c.backend.type === "s3" && !c.backend.s3Bucket) add("backend.s3Bucket", "must be set when backend.type is 's3'");
  },

  // Linkerd HA: three replicas with required anti-affinity need three workers.
  (c, add) => {
    if (c.platform.linkerd.highAvailability && c.cluster.workers.count < 3) {
      add("platform.linkerd.highAvailability", `needs cluster.workers.count of at least 3 (it is ${c.cluster.workers.count}): HA runs 3 replicas on distinct nodes`);
    }
  },
  (c, add) => {
    if (c.platform.linkerd.issuerValidityHours > c.platform.linkerd.trustAnchorValidityHours) {
      add("platform.linkerd.issuerValidityHours", `must not exceed platform.linkerd.trustAnchorValidityHours (${c.platform.linkerd.trustAnchorValidityHours})`);
    }
  },
  (c, add) => {
    if (c.platform.linkerd.issuerEarlyRenewalHours >= c.platform.linkerd.issuerValidityHours) {
      add(
        "platform.linkerd.issuerEarlyRenewalHours",
        `must be less than platform.linkerd.issuerValidityHours (${c.platform.linkerd.issuerValidityHours}): otherwise every deploy replaces the issuer`,
      );
    }
  },

  // Monitoring.
  (c, add) => {
    const mesh = durationSeconds(c.platform.monitoring.meshScrapeInterval);
    if (mesh < 1 || mesh > 5) add("platform.monitoring.meshScrapeInterval", "must be between 1s and 5s (KPI: mesh metrics fresh within 5 s)");
  },
  (c, add) => {
    if (durationSeconds(c.platform.monitoring.retention) < 3 * 86400) {
      add("platform.monitoring.retention", "must be at least 3d: the slowest SLO alert window is 3 days");
    }
  },

  // Persistent volumes: Prometheus needs headroom beyond its size limit (compaction, WAL).
  (c, add) => {
    const volumeGiB = c.platform.monitoring.prometheusVolumeGiB;
    const retentionGiB = prometheusSizeBytes(c.platform.monitoring.retentionSize) / 2 ** 30;
    if (retentionGiB > volumeGiB * PROMETHEUS_VOLUME_FILL) {
      add(
        "platform.monitoring.retentionSize",
        `must be at most ${Math.round(PROMETHEUS_VOLUME_FILL * 100)} % of platform.monitoring.prometheusVolumeGiB (${volumeGiB} GiB), ` +
          `i.e. at most ${Math.floor(volumeGiB * PROMETHEUS_VOLUME_FILL)}GB: Prometheus needs room to compact blocks and write its WAL`,
      );
    }
  },
  // The driver takes the volume tags as one comma-separated key=value list.
  (c, add) => {
    for (const [key, value] of Object.entries(c.tags)) {
      if (key.toLowerCase().startsWith("aws:")) {
        add("tags", `must not have a key starting with 'aws:' in any case (${JSON.stringify(key)}): AWS reserves that prefix for its own tags and refuses to set it`);
      } else if (/[,=]/.test(key)) {
        add("tags", `must not have a key containing ',' or '=' (${JSON.stringify(key)}): the tags also go to the EBS CSI driver as a key=value,key=value list`);
      } else if (value.includes(",")) {
        add(`tags.${key}`, "must not contain ',': the tags also go to the EBS CSI driver as a key=value,key=value list");
      }
    }
  },

  // Traffic split.
  (c, add) => {
    const weights = Object.values(c.apps.reviewsWeights);
    if (!weights.some((w) => w > 0)) add("apps.reviewsWeights", "must give at least one reviews version a positive weight");
  },
];

/**
 * Runs every cross-field rule. `invalidPaths` are the settings whose own
 * rules failed (as `a.b[2].c`): a rule that reads one of them, or anything
 * inside one, is skipped, so `c` may hold invalid values there.
 */
export function crossFieldProblems(c: Config, invalidPaths: readonly string[] = []): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const rule of CROSS_FIELD_RULES) {
    const found: RuleProblem[] = [];
    try {
      rule(guardInvalid(c, new Set(invalidPaths)), (path, message) => found.push({ path, message }));
    } catch (e) {
      if (e instanceof ReadsInvalidSetting) continue;
      throw e;
    }
    problems.push(...found);
  }
  return problems;
}

class ReadsInvalidSetting extends Error {}

/** A read-only view of `value` that throws ReadsInvalidSetting when a rule reads an invalid setting. */
function guardInvalid<T>(value: T, invalid: ReadonlySet<string>, path = ""): T {
  if (invalid.size === 0 || value === null || typeof value !== "object") return value;
  const isArray = Array.isArray(value);
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const child = Reflect.get(target, key, receiver) as unknown;
      if (typeof key === "symbol" || !Object.prototype.hasOwnProperty.call(target, key)) return child;
      const childPath = isArray && /^\d+$/.test(key) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (invalid.has(childPath)) throw new ReadsInvalidSetting(childPath);
      return guardInvalid(child, invalid, childPath);
    },
  }) as T;
}
