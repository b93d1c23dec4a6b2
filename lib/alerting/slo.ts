/**
 * Bookinfo's SLO recording rules and alerts: one source, rendered into the
 * PrometheusRule objects the apps stack deploys and into the rule file the
 * tests hand to promtool.
 *
 * What is measured, and where:
 * - Every Bookinfo deployment's success ratio from its own proxy's inbound
 *   `response_total` (labels `direction`, `classification`).
 * - productpage's availability (the SLO) from its callers' outbound
 *   `response_total`: when productpage is down entirely its own inbound
 *   series stop rather than count errors, while its callers' proxies keep
 *   counting the failures they see.
 * - Multiwindow, multi-burn-rate alerts on that SLI (Google SRE Workbook):
 *   page when the 1h and 5m error ratios exceed 14.4 × the error budget, or
 *   the 6h and 30m ratios exceed 6 ×; ticket when the 3d and 6h ratios
 *   exceed 1 ×.
 * - p99 latency of productpage, stale mesh metrics, missing replicas of the
 *   deployments that should serve traffic, and missing traffic on every edge
 *   of the call graph that the reviews weights say should carry some.
 *
 * The proxy series come from the `linkerd-proxy` scrape job (labels
 * `namespace`, `deployment`, `pod` plus the proxy's own); replica counts
 * from kube-state-metrics' `kube_deployment_status_replicas_available`.
 */
import type { Config } from "../config";
import type { Edge } from "../bookinfo-graph";
import { BOOKINFO, LINKERD_JOBS, NAMESPACES, SLO_RULE_GROUP_PREFIX } from "../k8s-names";

/** A Prometheus rule as it appears in a rule file / PrometheusRule spec. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}
export type Rule = RecordingRule | AlertingRule;
export interface RuleGroup {
  readonly name: string;
  readonly interval: string;
  readonly rules: readonly Rule[];
}

/** Severities, matched by the Alertmanager route tree (lib/alerting/alertmanager.ts). */
export const SEVERITY = { page: "page", ticket: "ticket" } as const;

/** The windows every error ratio is recorded over. */
export const SLO_WINDOWS = ["5m", "30m", "1h", "6h", "3d"] as const;
export type SloWindow = (typeof SLO_WINDOWS)[number];

/** Multiwindow, multi-burn-rate alert definitions (SRE Workbook, chapter 5, table 5-8). */
export const BURN_RATE_ALERTS = [
  { alert: "ProductpageErrorBudgetFastBurn", long: "1h", short: "5m", factor: 14.4, severity: SEVERITY.page },
  { alert: "ProductpageErrorBudgetSlowBurn", long: "6h", short: "30m", factor: 6, severity: SEVERITY.page },
  { alert: "ProductpageErrorBudgetTicketBurn", long: "3d", short: "6h", factor: 1, severity: SEVERITY.ticket },
] as const satisfies ReadonlyArray<{ alert: string; long: SloWindow; short: SloWindow; factor: number; severity: string }>;

/** Names of the recorded series. */
export const RECORDS = {
  /** Per Bookinfo deployment: failed / all inbound responses. Labels namespace, deployment. */
  inboundErrorRatio: (w: SloWindow) => `deployment:bookinfo_inbound_error_ratio:rate${w}`,
  /** productpage's SLI: failed / all responses its callers got. Labels dst_namespace, dst_deployment. */
  callerErrorRatio: (w: SloWindow) => `dst_deployment:bookinfo_caller_error_ratio:rate${w}`,
  /** Per Bookinfo deployment: p99 of inbound response latency in ms. */
  inboundLatencyP99: "deployment:bookinfo_inbound_response_latency_ms:p99_rate5m",
} as const;

export const ALERTS = {
  latency: "ProductpageLatencyP99High",
  stale: "BookinfoMeshMetricsStale",
  replicas: "BookinfoDeploymentUnavailable",
  edge: "BookinfoEdgeTrafficMissing",
} as const;

/** Evaluation interval of the fast groups (the short windows need frequent evaluation). */
export const FAST_GROUP_INTERVAL = "30s";
/** Evaluation interval of the 6h and 3d recordings (expensive, slow-moving). */
export const SLOW_GROUP_INTERVAL = "5m";

/** How long the stale-metrics and missing-replica conditions must hold. */
export const STALE_FOR = "1m";
export const REPLICAS_FOR = "1m";
/** Quiet time before an edge counts as carrying no traffic. */
export const EDGE_FOR = "5m";
export const LATENCY_FOR = "5m";

/** What the rules need to know about the app: the graph's edges. */
export interface SloGraph {
  /** Every edge that may carry traffic (authorization's view); callers of productpage come from here. */
  readonly callEdges: readonly Edge[];
  /** The edges that should carry traffic with the current weights. */
  readonly expectedEdges: readonly Edge[];
}

/** `1 - 0.999` → `0.001`, without floating-point noise in the rule text. */
export function errorBudget(slo: number): number {
  return Number((1 - slo).toPrecision(6));
}

function threshold(factor: number, slo: number): string {
  return String(Number((factor * errorBudget(slo)).toPrecision(6)));
}

function selector(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => (v.startsWith("~") ? `${k}=~"${v.slice(1)}"` : `${k}="${v}"`))
    .join(", ")}}`;
}

/** `failed / all` over a window, 0 (not absent) when nothing failed. */
function errorRatio(base: Record<string, string>, by: readonly string[], window: string): string {
  const sumBy = `sum by (${by.join(", ")})`;
  const failed = `${sumBy} (rate(response_total${selector({ ...base, classification: "failure" })}[${window}]))`;
  const all = `${sumBy} (rate(response_total${selector(base)}[${window}]))`;
  return `(${failed} or (${all} * 0)) / ${all}`;
}

function regexOf(values: readonly string[]): string {
  return `~${[...new Set(values)].sort().join("|")}`;
}

export function sloRuleGroups(config: Pick<Config, "alerting">, graph: SloGraph): RuleGroup[] {
  const slo = config.alerting.availabilitySlo;
  const ns = NAMESPACES.bookinfo;
  const productpage = BOOKINFO.deployments.productpage;
  const proxy = { job: LINKERD_JOBS.proxy, namespace: ns };

  const inbound = { ...proxy, direction: "inbound" };
  const callers = graph.callEdges.filter((e) => e.to === productpage).map((e) => e.from);
  if (callers.length === 0) throw new Error(`the call graph has no caller of ${productpage}: its SLI would be empty`);
  const outboundToProductpage = {
    ...proxy,
    direction: "outbound",
    deployment: regexOf(callers),
    dst_namespace: ns,
    dst_deployment: productpage,
  };
  const sloPercent = `${Number((slo * 100).toPrecision(6))}%`;

  const ratios = (w: SloWindow): RecordingRule[] => [
    { record: RECORDS.inboundErrorRatio(w), expr: errorRatio(inbound, ["namespace", "deployment"], w) },
    { record: RECORDS.callerErrorRatio(w), expr: errorRatio(outboundToProductpage, ["dst_namespace", "dst_deployment"], w) },
  ];
  const fastWindows: SloWindow[] = ["5m", "30m", "1h"];
  const slowWindows: SloWindow[] = ["6h", "3d"];

  const burnAlerts: AlertingRule[] = BURN_RATE_ALERTS.map((b) => ({
    alert: b.alert,
    expr:
      `${RECORDS.callerErrorRatio(b.long)} > ${threshold(b.factor, slo)}\n` +
      `and\n${RECORDS.callerErrorRatio(b.short)} > ${threshold(b.factor, slo)}`,
    labels: { severity: b.severity, slo: "productpage-availability", burn_window: `${b.long}/${b.short}` },
    annotations: {
      summary: `productpage is burning its ${sloPercent} availability error budget at over ${b.factor}x`,
      description:
        `Callers of {{ $labels.dst_deployment }} saw more than ${b.factor}x the allowed error ratio over both the last ` +
        `${b.long} and ${b.short}.`,
    },
  }));

  const latency: AlertingRule = {
    alert: ALERTS.latency,
    expr: `${RECORDS.inboundLatencyP99}${selector({ namespace: ns, deployment: productpage })} > ${config.alerting.latencyP99ThresholdMs}`,
    for: LATENCY_FOR,
    labels: { severity: SEVERITY.ticket },
    annotations: {
      summary: `productpage p99 latency is above ${config.alerting.latencyP99ThresholdMs} ms`,
      description: `The 99th percentile of {{ $labels.deployment }}'s inbound response latency has been above ${config.alerting.latencyP99ThresholdMs} ms for ${LATENCY_FOR}.`,
    },
  };

  const upSelector = selector(proxy);
  const stale: AlertingRule = {
    alert: ALERTS.stale,
    expr: `(up${upSelector} == 0)\nor on()\nabsent(up${upSelector} == 1)`,
    for: STALE_FOR,
    labels: { severity: SEVERITY.page },
    annotations: {
      summary: "Prometheus is not getting Bookinfo's mesh metrics",
      description:
        "Scrapes of Linkerd proxies in the bookinfo namespace fail or stopped{{ with $labels.pod }} (pod {{ . }}){{ end }}; the SLO alerts are blind until they resume.",
    },
  };

  // Deployments that should serve or send traffic with the current weights.
  const live = [...new Set(graph.expectedEdges.flatMap((e) => [e.from, e.to]))].sort();
  const replicaAlerts: AlertingRule[] = live.map((deployment) => {
    const sel = selector({ namespace: ns, deployment });
    return {
      alert: ALERTS.replicas,
      expr: `(kube_deployment_status_replicas_available${sel} == 0)\nor\nabsent(kube_deployment_status_replicas_available${sel})`,
      for: REPLICAS_FOR,
      labels: { severity: deployment === productpage ? SEVERITY.page : SEVERITY.ticket, namespace: ns, deployment },
      annotations: {
        summary: `${deployment} has no available replica`,
        description: `Deployment ${ns}/${deployment} should serve traffic but has had no available replica for ${REPLICAS_FOR}.`,
      },
    };
  });

  const edgeAlerts: AlertingRule[] = graph.expectedEdges.map((e) => {
    const sel = selector({ ...proxy, direction: "outbound", deployment: e.from, dst_namespace: ns, dst_deployment: e.to });
    return {
      alert: ALERTS.edge,
      expr: `(sum(rate(response_total${sel}[5m])) or vector(0)) == 0`,
      for: EDGE_FOR,
      labels: { severity: SEVERITY.ticket, namespace: ns, source_deployment: e.from, destination_deployment: e.to },
      annotations: {
        summary: `No traffic from ${e.from} to ${e.to}`,
        description: `The reviews weights say ${e.from} → ${e.to} should carry traffic, but its callers' proxies counted no response for ${EDGE_FOR}.`,
      },
    };
  });

  return [
    {
      name: `${SLO_RULE_GROUP_PREFIX}-sli`,
      interval: FAST_GROUP_INTERVAL,
      rules: [
        ...fastWindows.flatMap(ratios),
        {
          record: RECORDS.inboundLatencyP99,
          expr: `histogram_quantile(0.99, sum by (namespace, deployment, le) (rate(response_latency_ms_bucket${selector(inbound)}[5m])))`,
        },
      ],
    },
    { name: `${SLO_RULE_GROUP_PREFIX}-sli-long`, interval: SLOW_GROUP_INTERVAL, rules: slowWindows.flatMap(ratios) },
    { name: `${SLO_RULE_GROUP_PREFIX}-alerts`, interval: FAST_GROUP_INTERVAL, rules: [...burnAlerts, latency, stale] },
    { name: `${SLO_RULE_GROUP_PREFIX}-traffic`, interval: FAST_GROUP_INTERVAL, rules: [...replicaAlerts, ...edgeAlerts] },
  ];
}
