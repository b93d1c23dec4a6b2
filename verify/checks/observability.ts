/**
 * Traces and logs: a recent productpage request's trace joins spans from at
 * least three services (Jaeger's query API), and Loki holds log lines from
 * every Bookinfo pod that serves traffic, from the last five minutes.
 */
import { expectedEdges } from "../../lib/bookinfo-graph";
import { BOOKINFO, NAMESPACES } from "../../lib/k8s-names";
import { need } from "../runner";
import { podList, type JaegerTraces, type LokiMatrix, type PodList } from "../schemas";
import { traceSearchQuery } from "../observability";
import type { Check, Outcome } from "../types";
import { listSome } from "./cluster";

/** How far back both checks look. */
export const RECENT_SECONDS = 300;

/**
 * Every Linkerd proxy reports under this service name (linkerd2-proxy
 * v2.210.4, linkerd/app/src/oc_collector.rs); the workload is in the span's
 * process tags, which are the pod's labels.
 */
export const PROXY_SERVICE_NAME = "linkerd-proxy";
/** The pod label naming a Bookinfo service (the sample's `app`). */
export const APP_TAG = "app";
export const MIN_TRACE_SERVICES = 3;

export const LOG_COUNT_QUERY = `sum by (pod) (count_over_time({namespace="${NAMESPACES.bookinfo}"}[${RECENT_SECONDS / 60}m]))`;

function tagValue(tags: ReadonlyArray<{ key: string; value: unknown }>, key: string): string | undefined {
  const found = tags.find((t) => t.key === key);
  return found === undefined ? undefined : String(found.value);
}

/** Passes when some trace that starts within the window has productpage's spans and spans from ≥ 3 services. */
export function decideTrace(traces: JaegerTraces, now: Date, windowSeconds: number = RECENT_SECONDS): Outcome {
  const since = (now.getTime() - windowSeconds * 1000) * 1000;
  const summaries = traces.data.map((t) => {
    const apps = new Set<string>();
    for (const span of t.spans) {
      const app = tagValue(t.processes[span.processID]?.tags ?? [], APP_TAG);
      if (app !== undefined) apps.add(app);
    }
    const start = Math.min(...t.spans.map((s) => s.startTime));
    return { id: t.traceID, apps: [...apps].sort(), spans: t.spans.length, start };
  });
  const recent = summaries.filter((s) => s.spans > 0 && s.start >= since && s.apps.includes("productpage"));
  if (recent.length === 0) {
    return {
      ok: false,
      evidence: `no trace with productpage spans in the last ${windowSeconds / 60} min (${traces.data.length} trace(s) returned)`,
      remedy:
        "check the traffic generator runs, the Bookinfo pods were created after linkerd-jaeger (they carry the jaeger.linkerd.io/tracing-enabled annotation; restart them if not) and the collector's logs",
    };
  }
  const best = [...recent].sort((a, b) => b.apps.length - a.apps.length || b.start - a.start)[0]!;
  const age = Math.round((now.getTime() * 1000 - best.start) / 1e6);
  const summary = `trace ${best.id}: ${best.spans} spans from ${best.apps.length} services (${best.apps.join(", ")}), started ${age} s ago`;
  if (best.apps.length < MIN_TRACE_SERVICES) {
    return {
      ok: false,
      evidence: `${summary}; fewer than ${MIN_TRACE_SERVICES} services in any of ${recent.length} recent productpage trace(s)`,
      remedy: "a service that does not forward the B3 headers, or a pod without the tracing configuration, breaks the trace apart; restart the Bookinfo Deployments",
    };
  }
  return { ok: true, evidence: `${summary}; ${recent.length} recent productpage trace(s)` };
}

/** The Bookinfo pods that should be logging: Running, and of a Deployment that gets traffic with these weights. */
export function podsExpectedToLog(pods: PodList, weights: Readonly<Record<string, number>>): string[] {
  const live = new Set(expectedEdges(weights).map((e) => e.to));
  const services = new Set<string>(BOOKINFO.services);
  return pods.items
    .filter((p) => p.status.phase === "Running")
    .filter((p) => {
      const labels = p.metadata.labels ?? {};
      const app = labels.app;
      // The Deployment: the proxy's label on meshed pods, else Bookinfo's app and version labels.
      const deployment = labels["linkerd.io/proxy-deployment"] ?? (labels.version !== undefined ? `${app}-${labels.version}` : undefined);
      return app !== undefined && services.has(app) && deployment !== undefined && live.has(deployment);
    })
    .map((p) => p.metadata.name)
    .sort();
}

/** Passes when every expected pod has at least one line in the window. */
export function decideLogs(matrix: LokiMatrix, expected: readonly string[]): Outcome {
  const counts = new Map<string, number>();
  for (const series of matrix.data.result) {
    const pod = series.metric.pod;
    const last = series.values[series.values.length - 1];
    if (pod !== undefined && last !== undefined) counts.set(pod, Number(last[1]));
  }
  if (expected.length === 0) return { ok: false, evidence: `no running Bookinfo pod found in ${NAMESPACES.bookinfo}`, remedy: "see the pods check" };
  const missing = expected.filter((p) => !((counts.get(p) ?? 0) > 0));
  const total = expected.reduce((t, p) => t + (counts.get(p) ?? 0), 0);
  if (missing.length > 0) {
    return {
      ok: false,
      evidence: `no log line in the last ${RECENT_SECONDS / 60} min from ${missing.length} of ${expected.length} Bookinfo pods: ${listSome(missing)}`,
      remedy: "check the fluent-bit pod on those pods' nodes (kubectl -n logging logs ds/fluent-bit) and that Loki is Ready",
    };
  }
  return { ok: true, evidence: `${expected.length}/${expected.length} Bookinfo pods logged in the last ${RECENT_SECONDS / 60} min (${Math.round(total)} lines)` };
}

export const traceCheck: Check = {
  id: "trace",
  title: "A productpage request traced",
  needs: ["api"],
  remedy: "see the evidence",
  appliesTo: (e) => e.tracing,
  async run(ctx, signal) {
    const now = ctx.now();
    const query = traceSearchQuery(PROXY_SERVICE_NAME, { [APP_TAG]: "productpage" }, new Date(now.getTime() - RECENT_SECONDS * 1000), now, 20);
    return decideTrace(await need(ctx.jaeger).traces(query, signal), now);
  },
};

export const logsCheck: Check = {
  id: "logs",
  title: "Logs from every Bookinfo pod",
  needs: ["api"],
  remedy: "see the evidence",
  appliesTo: (e) => e.logs,
  async run(ctx, signal) {
    const pods = await need(ctx.kube).get(`/api/v1/namespaces/${NAMESPACES.bookinfo}/pods`, podList, signal);
    const matrix = await need(ctx.loki).queryRange(LOG_COUNT_QUERY, `${RECENT_SECONDS / 60}m`, signal);
    return decideLogs(matrix, podsExpectedToLog(pods, ctx.expect.reviewsWeights));
  },
};
