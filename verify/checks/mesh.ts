/** Checks read from Prometheus through the API server: mTLS per edge, freshness, SLO rules, page alerts. */
import { edgeName, expectedEdges, type Edge } from "../../lib/bookinfo-graph";
import { LINKERD_JOBS, NAMESPACES, SLO_RULE_GROUP_PREFIX } from "../../lib/k8s-names";
import { need } from "../runner";
import type { PromAlerts, PromRules, PromVector } from "../schemas";
import type { Check, Outcome } from "../types";
import { listSome } from "./cluster";

/** Window over which each edge must show responses (several generator requests at any configured rate). */
export const MTLS_WINDOW = "2m";

export const MTLS_QUERY =
  `sum by (deployment, dst_deployment, tls) (increase(response_total{direction="outbound", namespace="${NAMESPACES.bookinfo}"}[${MTLS_WINDOW}]))`;

/** Age in seconds of each proxy target's newest sample (`up` is written at every scrape). */
export const FRESHNESS_QUERY = `time() - timestamp(up{job="${LINKERD_JOBS.proxy}"})`;

export const TARGETS_QUERY = "count(up)";

function num(v: string): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}

function fmt(n: number): string {
  return n >= 100 ? String(Math.round(n)) : n.toFixed(1);
}

export function decideMtls(vector: PromVector, expected: readonly Edge[]): Outcome {
  const byEdge = new Map<string, { tls: number; plain: number }>();
  for (const s of vector.data.result) {
    const from = s.metric.deployment;
    const to = s.metric.dst_deployment;
    const count = num(s.value[1]);
    if (!from || !to || !(count > 0)) continue;
    const key = edgeName({ from, to });
    const e = byEdge.get(key) ?? { tls: 0, plain: 0 };
    if (s.metric.tls === "true") e.tls += count;
    else e.plain += count;
    byEdge.set(key, e);
  }
  const expectedNames = new Set(expected.map(edgeName));
  const missing = expected.map(edgeName).filter((k) => (byEdge.get(k)?.tls ?? 0) + (byEdge.get(k)?.plain ?? 0) <= 0);
  const plaintext = [...byEdge.entries()]
    .filter(([, v]) => v.plain > 0)
    .map(([k, v]) => `${k}: ${fmt((100 * v.plain) / (v.plain + v.tls))} % without TLS`);
  const unexpected = [...byEdge.keys()].filter((k) => !expectedNames.has(k));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`no traffic in ${MTLS_WINDOW} on ${missing.join(", ")}`);
  if (plaintext.length > 0) problems.push(`plaintext: ${listSome(plaintext)}`);
  const note = unexpected.length > 0 ? ` (also seen, not expected with these weights: ${unexpected.join(", ")})` : "";
  if (problems.length > 0) {
    return {
      ok: false,
      evidence: problems.join("; ") + note,
      remedy:
        missing.length > 0
          ? "check the traffic generator runs and the reviews weights match the deployed route; a missing edge whose callers are meshed means the route or a policy blocks it"
          : "plaintext traffic means a pod without a proxy (see the meshed check) or a skipped port; restart the named deployments",
    };
  }
  const total = expected.reduce((sum, e) => sum + (byEdge.get(edgeName(e))?.tls ?? 0), 0);
  return { ok: true, evidence: `${expected.length}/${expected.length} expected edges carry traffic, 100 % tls="true" (${Math.round(total)} responses in ${MTLS_WINDOW})${note}` };
}

export function decideFreshness(vector: PromVector, boundSeconds: number): Outcome {
  const ages = vector.data.result.map((s) => ({ pod: s.metric.pod ?? s.metric.instance ?? "?", ns: s.metric.namespace, age: num(s.value[1]) }));
  if (ages.length === 0) {
    return {
      ok: false,
      evidence: `no samples for job="${LINKERD_JOBS.proxy}"`,
      remedy: `make the proxies' PodMonitor set job="${LINKERD_JOBS.proxy}" (the Operator names jobs <namespace>/<monitor> unless relabelled) and check Prometheus selects it`,
    };
  }
  if (ages.some((a) => Number.isNaN(a.age))) return { ok: false, evidence: "a sample age is not a number" };
  const sorted = [...ages].sort((a, b) => a.age - b.age);
  const newest = sorted[0]!;
  const oldest = sorted[sorted.length - 1]!;
  const stale = sorted.filter((a) => a.age > boundSeconds).map((a) => `${a.pod} ${fmt(a.age)} s`);
  const bookinfo = ages.filter((a) => a.ns === NAMESPACES.bookinfo).length;
  const summary = `${ages.length} proxy targets (${bookinfo} in ${NAMESPACES.bookinfo}); newest sample ${fmt(newest.age)} s old, oldest ${fmt(oldest.age)} s (bound ${boundSeconds} s)`;
  if (stale.length > 0) return { ok: false, evidence: `${summary}; stale: ${listSome(stale)}` };
  if (bookinfo === 0) {
    return { ok: false, evidence: `${summary}; none labelled namespace="${NAMESPACES.bookinfo}"`, remedy: "relabel the proxy scrape so targets carry namespace, deployment and pod labels" };
  }
  return { ok: true, evidence: summary };
}

export function decideRules(rules: PromRules, prefix: string = SLO_RULE_GROUP_PREFIX): Outcome {
  const groups = rules.data.groups.filter((g) => g.name.startsWith(prefix));
  if (groups.length === 0) {
    const others = rules.data.groups.length;
    return { ok: false, evidence: `no rule group named ${prefix}* among ${others} loaded group(s)` };
  }
  const all = groups.flatMap((g) => g.rules);
  const recording = all.filter((r) => r.type === "recording").length;
  const alerting = all.filter((r) => r.type === "alerting").length;
  const broken = all.filter((r) => r.health === "err").map((r) => `${r.name}: ${r.lastError ?? "error"}`);
  const problems: string[] = [];
  if (recording === 0) problems.push("no recording rules");
  if (alerting === 0) problems.push("no alerting rules");
  if (broken.length > 0) problems.push(`rules in error: ${listSome(broken)}`);
  const summary = `${groups.length} group(s) (${groups.map((g) => g.name).join(", ")}): ${recording} recording, ${alerting} alerting`;
  if (problems.length > 0) return { ok: false, evidence: `${summary}; ${problems.join("; ")}` };
  return { ok: true, evidence: `${summary}, none in error` };
}

/** Label value that marks an alert that pages a human. */
export const PAGE_SEVERITY = "page";

export function decideAlerts(alerts: PromAlerts): Outcome {
  const page = alerts.data.alerts.filter((a) => a.labels.severity === PAGE_SEVERITY);
  const firing = page.filter((a) => a.state === "firing");
  const pending = page.filter((a) => a.state === "pending");
  const label = (a: PromAlerts["data"]["alerts"][number]) =>
    `${a.labels.alertname ?? "?"}${a.labels.deployment ? `{deployment=${a.labels.deployment}}` : ""}${a.activeAt ? ` since ${a.activeAt}` : ""}`;
  if (firing.length > 0) return { ok: false, evidence: `firing: ${listSome(firing.map(label))}` };
  const otherFiring = alerts.data.alerts.filter((a) => a.state === "firing").length;
  const extra = [
    pending.length > 0 ? `${pending.length} page alert(s) pending: ${listSome(pending.map(label))}` : "",
    `${otherFiring} alert(s) firing at other severities`,
  ].filter(Boolean);
  return { ok: true, evidence: `no severity="${PAGE_SEVERITY}" alert firing (${extra.join("; ")})` };
}

export const prometheusCheck: Check = {
  id: "prometheus",
  title: "Prometheus via API proxy",
  needs: ["api"],
  remedy: "check the monitoring namespace's Prometheus pod and that the Service and its port name match (kube-prometheus-stack-prometheus:http-web)",
  async run(ctx, signal) {
    const v = await need(ctx.prometheus).query(TARGETS_QUERY, signal);
    const n = v.data.result[0]?.value[1];
    if (n === undefined) return { ok: false, evidence: "Prometheus answers but has no scrape targets" };
    return { ok: true, evidence: `query API answers; ${n} scrape targets` };
  },
};

export const mtlsCheck: Check = {
  id: "mtls",
  title: "mTLS on every edge",
  needs: ["prometheus"],
  remedy: "see the evidence",
  async run(ctx, signal) {
    const v = await need(ctx.prometheus).query(MTLS_QUERY, signal);
    return decideMtls(v, expectedEdges(ctx.expect.reviewsWeights));
  },
};

export const freshnessCheck: Check = {
  id: "freshness",
  title: "Mesh metrics fresh",
  needs: ["prometheus"],
  remedy: "check the proxy PodMonitor's interval and timeout (timeout ≤ interval, or the Operator drops it) and Prometheus' target page",
  async run(ctx, signal) {
    return decideFreshness(await need(ctx.prometheus).query(FRESHNESS_QUERY, signal), ctx.expect.freshnessBoundSeconds);
  },
};

export const rulesCheck: Check = {
  id: "slo-rules",
  title: "SLO rules loaded",
  needs: ["prometheus"],
  remedy: `check the PrometheusRule objects exist and carry the labels Prometheus' ruleSelector wants; group names must start with ${SLO_RULE_GROUP_PREFIX}`,
  async run(ctx, signal) {
    return decideRules(await need(ctx.prometheus).rules(signal));
  },
};

export const alertsCheck: Check = {
  id: "page-alerts",
  title: "No page alert firing",
  needs: ["slo-rules"],
  remedy: "open Alertmanager or Prometheus' alerts page; the alert's annotations say which SLO burns and where to look",
  async run(ctx, signal) {
    return decideAlerts(await need(ctx.prometheus).alerts(signal));
  },
};
