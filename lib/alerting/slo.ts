/**
 * Bookinfo's SLO recording rules and alerts: one source, rendered into the
 * PrometheusRule objects the apps stack deploys and into the rule file the
 * tests hand to promtool.
 *
 * What is measured, and where (series as linkerd2-proxy v2.210.4, the proxy of
 * Linkerd stable-2.14.10, exports them; docs/apps.md lists the source files):
 * - Every Bookinfo deployment's error ratio from its own proxy: inbound
 *   `response_total` classified `failure` (5xx) plus the requests its
 *   policy denied (`inbound_http_authz_deny_total`: a denied request never
 *   reaches the response metrics, and its 403 is no failure to the
 *   classifier). Series of the proxy's admin port (`target_port` 4191:
 *   Prometheus' scrapes, the kubelet's probes) are left out.
 * - productpage's availability (the SLO) from its callers' proxies, in every
 *   way a call can fail:
 *   - answered with a 5xx, or failed to connect to an endpoint
 *     (`response_total{classification="failure"}` with `dst_*` labels: the
 *     per-endpoint stack counts those);
 *   - sent to an endpoint and never answered, e.g. the caller gave up after
 *     its timeout (`request_total` minus `response_total`, same labels);
 *   - failed before any endpoint was picked: no endpoint at all (pods
 *     deleted, unready, a Service selector that matches nothing) makes the
 *     balancer fail fast; those errors carry no `dst_*` label and are
 *     counted in `outbound_http_errors_total` of the callers, whose only
 *     destination is productpage (checked against the graph);
 *   - denied by productpage's policy (`inbound_http_authz_deny_total` on
 *     productpage's Server for the callers' mesh identities; their 403s
 *     already count as answered calls).
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
import { PORTS } from "../ports";

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

/**
 * Prometheus' lookback delta (its default; kube-prometheus-stack does not
 * change it): how far back an instant query looks for a sample. Since
 * Prometheus 3 the window is left-open, so a series written exactly one
 * lookback ago is already gone; every group is evaluated at most every half
 * lookback, so a reader always finds a sample.
 */
export const LOOKBACK = "5m";
/** Evaluation interval of the fast groups (the short windows need frequent evaluation). */
export const FAST_GROUP_INTERVAL = "30s";
/** Evaluation interval of the 6h and 3d recordings (slow-moving; at most half the lookback). */
export const SLOW_GROUP_INTERVAL = "2m";

/**
 * How old the bookinfo namespace must be before the alerts on missing
 * replicas, missing metrics, quiet edges and latency may fire: twice the
 * Kubernetes provider's 10-minute rollout wait, since a first deploy rolls
 * out Bookinfo and then the traffic generator (image pulls, JVM start-up),
 * and Prometheus discovers the new pods only after that. The burn-rate
 * alerts have no such guard: a first deploy sends no traffic until every
 * Bookinfo Deployment has rolled out, and the budget counts every failure.
 */
export const FIRST_DEPLOY_GRACE_SECONDS = 1200;

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
  /** Deployment → the mesh identity its proxy presents (from its ServiceAccount). */
  readonly meshIdentityOf: Readonly<Record<string, string>>;
}


/** `1 - 0.999` → `0.001`, without floating-point noise in the rule text. */
export function errorBudget(slo: number): number {
  return Number((1 - slo).toPrecision(6));
}

function threshold(factor: number, slo: number): string {
  return String(Number((factor * errorBudget(slo)).toPrecision(6)));
}

/** `{k="v"}`; a value starting with `~` is a regex match, with `!` a negative match. */
function selector(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => (v.startsWith("~") ? `${k}=~"${v.slice(1)}"` : v.startsWith("!") ? `${k}!="${v.slice(1)}"` : `${k}="${v}"`))
    .join(", ")}}`;
}

/** Not the proxy admin port (its series count Prometheus' scrapes and the kubelet's probes). */
const NOT_ADMIN = { target_port: `!${PORTS.linkerdProxyAdmin.port}` };

/**
 * Per deployment, inbound `(failed responses + denied requests) / (responses
 * + denied requests)` over a window: 0 (not absent) when nothing failed, and
 * 1 when every request was denied (no response series at all). The `or`
 * inside each sum adds both families: a response series always has a
 * `classification` label and a denial series never has, so none is dropped.
 */
function inboundErrorRatio(inbound: Record<string, string>, denied: Record<string, string>, window: string): string {
  const sumBy = "sum by (namespace, deployment)";
  const rate = (metric: string, labels: Record<string, string>) => `rate(${metric}${selector(labels)}[${window}])`;
  const deny = rate("inbound_http_authz_deny_total", denied);
  const answered = rate("response_total", inbound);
  const failed = rate("response_total", { ...inbound, classification: "failure" });
  return `(${sumBy} (${failed} or ${deny}) or ${sumBy} (${answered}) * 0)\n/\n${sumBy} (${answered} or ${deny})`;
}

interface CallerSeries {
  /** Callers' outbound per-endpoint series towards the service (`dst_*` labels). */
  readonly toEndpoints: Record<string, string>;
  /** The callers' own proxies (for their `outbound_http_errors_total`). */
  readonly callerProxies: Record<string, string>;
  /** The service's inbound denials of the callers' identities. */
  readonly denials: Record<string, string>;
}

/**
 * The service's error ratio as its callers experience it over a window:
 * (5xx or failed connections + unanswered requests + proxy errors before an
 * endpoint was picked + policy denials) / (responses + unanswered requests +
 * proxy errors). Each term is 0 when its series do not exist.
 */
function callerErrorRatio(s: CallerSeries, window: string): string {
  const sum = (metric: string, labels: Record<string, string>) => `(sum(rate(${metric}${selector(labels)}[${window}])) or vector(0))`;
  const failed = sum("response_total", { ...s.toEndpoints, classification: "failure" });
  const answered = sum("response_total", s.toEndpoints);
  const unanswered = `clamp_min(${sum("request_total", s.toEndpoints)} - ${answered}, 0)`;
  const errors = sum("outbound_http_errors_total", s.callerProxies);
  const denied = sum("inbound_http_authz_deny_total", s.denials);
  return `clamp_max(\n  (${failed} + ${unanswered} + ${errors} + ${denied})\n/\n  (${answered} + ${unanswered} + ${errors}),\n1)`;
}

function regexOf(values: readonly string[]): string {
  return `~${[...new Set(values)].sort().join("|")}`;
}

export function sloRuleGroups(config: Pick<Config, "alerting">, graph: SloGraph): RuleGroup[] {
  const slo = config.alerting.availabilitySlo;
  const ns = NAMESPACES.bookinfo;
  const productpage = BOOKINFO.deployments.productpage;
  const proxy = { job: LINKERD_JOBS.proxy, namespace: ns };

  const inbound = { ...proxy, direction: "inbound", ...NOT_ADMIN };
  const callers = [...new Set(graph.callEdges.filter((e) => e.to === productpage).map((e) => e.from))].sort();
  if (callers.length === 0) throw new Error(`the call graph has no caller of ${productpage}: its SLI would be empty`);
  // A caller's proxy errors carry no destination: they count for productpage only
  // because productpage is all its callers call.
  const elsewhere = graph.callEdges.filter((e) => callers.includes(e.from) && e.to !== productpage);
  if (elsewhere.length > 0) {
    throw new Error(
      `${elsewhere.map((e) => `${e.from} → ${e.to}`).join(", ")}: a caller of ${productpage} calls something else, so its ` +
        "outbound_http_errors_total (which has no destination label) cannot be counted against productpage",
    );
  }
  const identities = callers.map((c) => {
    const id = graph.meshIdentityOf[c];
    if (!id) throw new Error(`caller ${c} of ${productpage} has no mesh identity in the graph`);
    return id;
  });
  const callerSeries: CallerSeries = {
    toEndpoints: { ...proxy, direction: "outbound", deployment: regexOf(callers), dst_namespace: ns, dst_deployment: productpage },
    callerProxies: { ...proxy, deployment: regexOf(callers) },
    denials: { ...proxy, deployment: productpage, ...NOT_ADMIN, client_id: regexOf(identities.map((i) => i.replace(/\./g, "\\\\."))) },
  };
  const sloPercent = `${Number((slo * 100).toPrecision(6))}%`;

  const ratios = (w: SloWindow): RecordingRule[] => [
    { record: RECORDS.inboundErrorRatio(w), expr: inboundErrorRatio(inbound, { ...proxy, ...NOT_ADMIN }, w) },
    {
      record: RECORDS.callerErrorRatio(w),
      expr: callerErrorRatio(callerSeries, w),
      labels: { dst_namespace: ns, dst_deployment: productpage },
    },
  ];
  // Alerts that a rollout could trip wait until the namespace is older than the grace period.
  const settled = `and on()\n(time() - max(kube_namespace_created${selector({ namespace: ns })}) > ${FIRST_DEPLOY_GRACE_SECONDS})`;
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
    expr: `(${RECORDS.inboundLatencyP99}${selector({ namespace: ns, deployment: productpage })} > ${config.alerting.latencyP99ThresholdMs})\n${settled}`,
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
    expr: `((up${upSelector} == 0)\nor on()\nabsent(up${upSelector} == 1))\n${settled}`,
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
      expr: `((kube_deployment_status_replicas_available${sel} == 0)\nor\nabsent(kube_deployment_status_replicas_available${sel}))\n${settled}`,
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
      expr: `((sum(rate(response_total${sel}[5m])) or vector(0)) == 0)\n${settled}`,
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
