/**
 * Grafana's HTTP API through the API server's service proxy, as Prometheus is
 * reached: TLS to the API server and its authentication, no NodePort.
 *
 * Grafana's own login cannot ride in an Authorization header there: the API
 * server removes that header once it has authenticated the request
 * (k8s.io/apiserver, endpoints/filters/authentication.go). So the admin
 * password goes once, in the body of `POST /login` inside the TLS connection
 * to the API server, and the session cookie Grafana answers with carries the
 * later requests. The password never crosses a network in the clear from this
 * machine; from the API server to the Grafana pod it travels in the
 * cluster's own network.
 */
import type { z } from "zod";
import type { Maybe } from "./types";
import { parseJson, VerifyError } from "./http";
import type { KubeApi } from "./kube";
import { describeStatus } from "./kube";
import { MONITORING_SERVICE_PORTS, MONITORING_SERVICES, NAMESPACES } from "../lib/k8s-names";
import {
  decode,
  grafanaDashboard,
  grafanaDatasources,
  grafanaHealth,
  grafanaSearch,
  grafanaUser,
  promVector,
  type GrafanaDashboard,
  type GrafanaDatasources,
  type GrafanaSearch,
  type PromVector,
} from "./schemas";

/** Grafana's built-in administrator (the chart's `adminUser` default). */
export const GRAFANA_ADMIN_USER = "admin";

/** Grafana's session cookie (its `login_cookie_name` default). */
export const GRAFANA_SESSION_COOKIE = "grafana_session";

/** The proxy path prefix of the Grafana Service (`…/services/<name>:<port name>/proxy`). */
export const GRAFANA_PROXY_PATH =
  `/api/v1/namespaces/${NAMESPACES.monitoring}/services/${MONITORING_SERVICES.grafana}:${MONITORING_SERVICE_PORTS.grafana}/proxy`;

export class GrafanaApi {
  private session?: Promise<string>;

  constructor(
    private readonly kube: KubeApi,
    private readonly password: Maybe<string>,
  ) {}

  /** Logs in once (POST /login, JSON body) and keeps the session cookie. */
  private login(signal: AbortSignal): Promise<string> {
    if (!this.password.ok) return Promise.reject(new VerifyError(this.password.reason));
    const password = this.password.value;
    this.session ??= (async () => {
      const res = await this.kube.send(
        `${GRAFANA_PROXY_PATH}/login`,
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: GRAFANA_ADMIN_USER, password }) },
        signal,
      );
      if (res.status === 401) throw new VerifyError("Grafana /login: HTTP 401: the admin password was rejected");
      if (res.status !== 200) throw new VerifyError(grafanaStatus("/login", res.status, res.body));
      const cookie = (res.setCookies ?? []).map((c) => c.split(";")[0] ?? "").find((c) => c.startsWith(`${GRAFANA_SESSION_COOKIE}=`));
      if (!cookie) throw new VerifyError(`Grafana /login: HTTP 200 without a ${GRAFANA_SESSION_COOKIE} cookie`);
      return cookie;
    })();
    this.session.catch(() => (this.session = undefined));
    return this.session;
  }

  private async get<T>(p: string, schema: z.ZodType<T>, signal: AbortSignal, auth = true): Promise<T> {
    const headers: Record<string, string> = auth ? { cookie: await this.login(signal) } : {};
    const res = await this.kube.send(GRAFANA_PROXY_PATH + p, { headers }, signal);
    const what = `Grafana ${p.split("?")[0]}`;
    if (res.status === 401) throw new VerifyError(`${what}: HTTP 401: the session was refused`);
    if (res.status !== 200) throw new VerifyError(grafanaStatus(p.split("?")[0] ?? p, res.status, res.body));
    return decode(what, schema, parseJson(what, res.body));
  }

  health(signal: AbortSignal): Promise<z.infer<typeof grafanaHealth>> {
    return this.get("/api/health", grafanaHealth, signal, false);
  }

  user(signal: AbortSignal): Promise<z.infer<typeof grafanaUser>> {
    return this.get("/api/user", grafanaUser, signal);
  }

  search(signal: AbortSignal): Promise<GrafanaSearch> {
    return this.get("/api/search?type=dash-db&limit=5000", grafanaSearch, signal);
  }

  dashboard(uid: string, signal: AbortSignal): Promise<GrafanaDashboard> {
    return this.get(`/api/dashboards/uid/${encodeURIComponent(uid)}`, grafanaDashboard, signal);
  }

  datasources(signal: AbortSignal): Promise<GrafanaDatasources> {
    return this.get("/api/datasources", grafanaDatasources, signal);
  }

  /** An instant PromQL query through Grafana's datasource proxy (what a panel does). */
  query(datasourceUid: string, expr: string, signal: AbortSignal): Promise<PromVector> {
    return this.get(`/api/datasources/proxy/uid/${encodeURIComponent(datasourceUid)}/api/v1/query?query=${encodeURIComponent(expr)}`, promVector, signal);
  }
}

/** A failed answer: Grafana's own JSON message, or the API server's Status (service or pod missing, no permission). */
function grafanaStatus(p: string, status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; kind?: unknown };
    if (parsed.kind !== "Status" && typeof parsed.message === "string") return `Grafana ${p}: HTTP ${status}: ${parsed.message}`;
  } catch {
    // not JSON: fall through to the proxy's description
  }
  return describeStatus(GRAFANA_PROXY_PATH + p, status, body);
}
