/**
 * Prometheus through the API server's service proxy: no port-forward, no
 * NodePort, only the credentials that already reach the API.
 */
import { MONITORING_SERVICE_PORTS, MONITORING_SERVICES, NAMESPACES } from "../lib/k8s-names";
import { parseJson, VerifyError } from "./http";
import type { KubeApi } from "./kube";
import { describeStatus } from "./kube";
import { decode, promAlerts, promError, promRules, promVector, type PromAlerts, type PromRules, type PromVector } from "./schemas";

/** The proxy path prefix of the Prometheus Service (`…/services/<name>:<port name>/proxy`). */
export const PROMETHEUS_PROXY_PATH =
  `/api/v1/namespaces/${NAMESPACES.monitoring}/services/${MONITORING_SERVICES.prometheus}:${MONITORING_SERVICE_PORTS.prometheus}/proxy`;

export class PrometheusApi {
  constructor(private readonly kube: KubeApi) {}

  private async call(apiPath: string, signal: AbortSignal): Promise<unknown> {
    const full = PROMETHEUS_PROXY_PATH + apiPath;
    const res = await this.kube.raw(full, signal);
    const what = `Prometheus ${apiPath.split("?")[0]}`;
    if (res.status !== 200) {
      // Prometheus answers 400/422/503 with its own JSON error; the proxy answers with a Kubernetes Status.
      try {
        const err = promError.safeParse(JSON.parse(res.body));
        if (err.success) throw new VerifyError(`${what}: HTTP ${res.status}: ${err.data.errorType ?? "error"}: ${err.data.error ?? ""}`);
      } catch (e) {
        if (e instanceof VerifyError) throw e;
      }
      throw new VerifyError(describeStatus(full.split("?")[0] ?? full, res.status, res.body));
    }
    return parseJson(what, res.body);
  }

  /** An instant query that must return a vector. */
  async query(expr: string, signal: AbortSignal): Promise<PromVector> {
    const body = await this.call(`/api/v1/query?query=${encodeURIComponent(expr)}`, signal);
    return decode(`Prometheus query ${expr}`, promVector, body);
  }

  async rules(signal: AbortSignal): Promise<PromRules> {
    return decode("Prometheus /api/v1/rules", promRules, await this.call("/api/v1/rules", signal));
  }

  async alerts(signal: AbortSignal): Promise<PromAlerts> {
    return decode("Prometheus /api/v1/alerts", promAlerts, await this.call("/api/v1/alerts", signal));
  }
}
