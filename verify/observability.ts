/**
 * Jaeger's query API and Loki's query API through the API server's service
 * proxy, like Prometheus: no port-forward, no NodePort.
 */
import { JAEGER_OBJECTS, NAMESPACES, RELEASES } from "../lib/k8s-names";
import { parseJson, VerifyError } from "./http";
import type { KubeApi } from "./kube";
import { describeStatus } from "./kube";
import { decode, jaegerTraces, lokiMatrix, type JaegerTraces, type LokiMatrix } from "./schemas";

/** Proxy path of Jaeger's query API (Service `jaeger`, port `ui`, under the chart's base path). */
export const JAEGER_PROXY_PATH = `/api/v1/namespaces/${NAMESPACES.linkerdJaeger}/services/${JAEGER_OBJECTS.jaegerService}:${JAEGER_OBJECTS.jaegerUiPortName}/proxy${JAEGER_OBJECTS.basePath}`;

/** The port name of Loki's Service (the chart names its HTTP port `http-metrics`). */
export const LOKI_PORT_NAME = "http-metrics";
export const LOKI_PROXY_PATH = `/api/v1/namespaces/${NAMESPACES.logging}/services/${RELEASES.loki}:${LOKI_PORT_NAME}/proxy`;

async function getJson(kube: KubeApi, full: string, what: string, signal: AbortSignal): Promise<unknown> {
  const res = await kube.raw(full, signal);
  if (res.status !== 200) throw new VerifyError(describeStatus(full.split("?")[0] ?? full, res.status, res.body));
  return parseJson(what, res.body);
}

/** Query string of a trace search: service, tags, and a time window in microseconds. */
export function traceSearchQuery(service: string, tags: Record<string, string>, start: Date, end: Date, limit: number): string {
  const us = (d: Date) => String(d.getTime() * 1000);
  const params = new URLSearchParams({ service, tags: JSON.stringify(tags), start: us(start), end: us(end), limit: String(limit) });
  return params.toString();
}

export class JaegerApi {
  constructor(private readonly kube: KubeApi) {}

  async traces(query: string, signal: AbortSignal): Promise<JaegerTraces> {
    const full = `${JAEGER_PROXY_PATH}/api/traces?${query}`;
    return decode("Jaeger /api/traces", jaegerTraces, await getJson(this.kube, full, "Jaeger /api/traces", signal));
  }
}

export class LokiApi {
  constructor(private readonly kube: KubeApi) {}

  /** A LogQL metric query over `[end - since, end]`, one step. */
  async queryRange(query: string, since: string, signal: AbortSignal): Promise<LokiMatrix> {
    const params = new URLSearchParams({ query, since, step: since });
    const full = `${LOKI_PROXY_PATH}/loki/api/v1/query_range?${params.toString()}`;
    return decode("Loki /loki/api/v1/query_range", lokiMatrix, await getJson(this.kube, full, "Loki query_range", signal));
  }
}
