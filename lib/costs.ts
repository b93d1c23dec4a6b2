/**
 * What a deployment costs to keep running: the billable AWS resources the
 * stacks create for a configuration, priced at on-demand rates of the
 * default region. The README's cost table is generated from this, and a test
 * holds the quantities to what the stacks actually synthesize.
 *
 * Prices are AWS's on-demand list prices for Asia Pacific (Seoul),
 * ap-northeast-2, in USD, before tax, as known on PRICES.asOf. They were not
 * fetched from AWS (this project has no AWS access to query the Price List
 * API); each is named with its AWS price page, and they change, so check
 * them (and other regions) there or in the AWS Pricing Calculator before
 * relying on them.
 */
import type { Config } from "./config";

export const HOURS_PER_MONTH = 730;

export const PRICES = {
  asOf: "2026-12-02",
  region: "ap-northeast-2",
  /** Linux on-demand, USD per instance-hour. https://aws.amazon.com/ec2/pricing/on-demand/ */
  ec2Hourly: { "t3.medium": 0.052, "t3.large": 0.104, "t3.xlarge": 0.208 } as Record<string, number>,
  /** vCPUs and CPU credits earned per hour (T3 documentation, "Key concepts": baseline). */
  t3Credits: { "t3.medium": { vcpus: 2, creditsPerHour: 24 }, "t3.large": { vcpus: 2, creditsPerHour: 36 }, "t3.xlarge": { vcpus: 4, creditsPerHour: 96 } } as Record<
    string,
    { vcpus: number; creditsPerHour: number }
  >,
  /** Surplus CPU credits of a T3 instance in unlimited mode, Linux, USD per vCPU-hour. https://aws.amazon.com/ec2/pricing/on-demand/ (T2/T3/T4g Unlimited) */
  t3SurplusPerVcpuHour: 0.05,
  /** gp3 storage, USD per GB-month (3000 IOPS and 125 MB/s included). https://aws.amazon.com/ebs/pricing/ */
  gp3PerGbMonth: 0.0912,
  /** A public IPv4 address, in use or idle, USD per hour. https://aws.amazon.com/vpc/pricing/ */
  publicIpv4Hourly: 0.005,
  /** S3 Standard storage, first 50 TB, USD per GB-month. https://aws.amazon.com/s3/pricing/ */
  s3StandardPerGbMonth: 0.025,
  /** A customer-managed KMS key, USD per month (prorated hourly); requests beyond the free tier $0.03 per 10,000. https://aws.amazon.com/kms/pricing/ */
  kmsKeyMonthly: 1,
  /** CloudWatch Logs ingestion (standard class), USD per GB. https://aws.amazon.com/cloudwatch/pricing/ */
  cloudwatchLogsIngestPerGb: 0.76,
} as const;

export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  /** USD per hour while deployed; null when it depends on use. */
  readonly hourly: number | null;
  /** What it depends on, for usage-priced lines. */
  readonly note?: string;
}

/** The persistent volumes the platform stack claims (Prometheus, Alertmanager, Grafana; Loki when logs are on), GiB. */
export function persistentVolumeGiB(config: Config): number {
  const m = config.platform.monitoring;
  return m.prometheusVolumeGiB + m.alertmanagerVolumeGiB + m.grafanaVolumeGiB + (config.platform.logs.enabled ? config.platform.logs.volumeGiB : 0);
}

function ec2Hourly(type: string): number | null {
  return PRICES.ec2Hourly[type] ?? null;
}

/** The billable lines of one deployment with this configuration. */
export function costLines(config: Config): CostLine[] {
  const cp = config.cluster.controlPlane;
  const w = config.cluster.workers;
  const cpHourly = ec2Hourly(cp.instanceType);
  const wHourly = ec2Hourly(w.instanceType);
  const rootGiB = cp.rootVolumeGiB + w.count * w.rootVolumeGiB;
  const pvGiB = persistentVolumeGiB(config);
  const gp3Hourly = (gib: number) => (gib * PRICES.gp3PerGbMonth) / HOURS_PER_MONTH;
  const lines: CostLine[] = [
    { item: `EC2 control plane (${cp.instanceType})`, quantity: "1", hourly: cpHourly, ...(cpHourly === null ? { note: "price not in lib/costs.ts" } : {}) },
    { item: `EC2 workers (${w.instanceType})`, quantity: String(w.count), hourly: wHourly === null ? null : w.count * wHourly, ...(wHourly === null ? { note: "price not in lib/costs.ts" } : {}) },
    { item: "EBS gp3 root volumes", quantity: `${rootGiB} GiB (${cp.rootVolumeGiB} + ${w.count} × ${w.rootVolumeGiB})`, hourly: gp3Hourly(rootGiB) },
    {
      item: `EBS gp3 persistent volumes (Prometheus, Alertmanager, Grafana${config.platform.logs.enabled ? ", Loki" : ""})`,
      quantity: `${pvGiB} GiB`,
      hourly: gp3Hourly(pvGiB),
    },
    { item: "Public IPv4 addresses (control plane's Elastic IP, one per worker)", quantity: String(1 + w.count), hourly: (1 + w.count) * PRICES.publicIpv4Hourly },
    { item: "KMS customer-managed key (cluster secrets)", quantity: "1", hourly: PRICES.kmsKeyMonthly / HOURS_PER_MONTH },
  ];
  if (config.cluster.etcdBackup.enabled) {
    lines.push({
      item: "S3 Standard (etcd snapshots)",
      quantity: `up to ${config.cluster.etcdBackup.keepSnapshots + Math.round(((24 * 60) / config.cluster.etcdBackup.intervalMinutes) * config.cluster.etcdBackup.noncurrentRetentionDays)} snapshots`,
      hourly: null,
      note: `$${PRICES.s3StandardPerGbMonth} per GB-month; a small cluster's snapshot is a few MB to a few tens of MB, so a few GB at most: cents a month`,
    });
  }
  lines.push({
    item: "CloudWatch Logs (VPC flow logs)",
    quantity: config.network.flowLogs.enabled ? `on (${config.network.flowLogs.trafficType})` : "off by default",
    hourly: config.network.flowLogs.enabled ? null : 0,
    ...(config.network.flowLogs.enabled ? { note: `$${PRICES.cloudwatchLogsIngestPerGb} per GB ingested, plus storage for ${config.network.flowLogs.retentionDays} days` } : {}),
  });
  const surplus = (type: string, count: number) => {
    const c = PRICES.t3Credits[type];
    return c ? count * (c.vcpus - c.creditsPerHour / 60) * PRICES.t3SurplusPerVcpuHour : 0;
  };
  const maxSurplus = surplus(cp.instanceType, 1) + surplus(w.instanceType, w.count);
  if (maxSurplus > 0) {
    lines.push({
      item: "T3 Unlimited surplus CPU credits",
      quantity: "only above the baseline (24 h average)",
      hourly: null,
      note: `$${PRICES.t3SurplusPerVcpuHour} per vCPU-hour above baseline; at most $${maxSurplus.toFixed(3)} per hour with every node at 100 % CPU`,
    });
  }
  return lines;
}

/** The fixed hourly total (usage-priced lines excluded). */
export function fixedHourly(config: Config): number {
  return costLines(config).reduce((sum, l) => sum + (l.hourly ?? 0), 0);
}
