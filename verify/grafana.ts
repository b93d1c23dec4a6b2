/** Grafana's HTTP API on its NodePort, as the admin user. */
import type { z } from "zod";
import type { Maybe } from "./types";
import { parseJson, request, VerifyError } from "./http";
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

export class GrafanaApi {
  constructor(
    readonly baseUrl: string,
    private readonly password: Maybe<string>,
  ) {}

  private url(p: string): string {
    return this.baseUrl.replace(/\/+$/, "") + p;
  }

  private authHeader(): Record<string, string> {
    if (!this.password.ok) throw new VerifyError(this.password.reason);
    return { authorization: "Basic " + Buffer.from(`${GRAFANA_ADMIN_USER}:${this.password.value}`).toString("base64") };
  }

  private async get<T>(p: string, schema: z.ZodType<T>, signal: AbortSignal, auth = true): Promise<T> {
    const res = await request(this.url(p), { signal, headers: auth ? this.authHeader() : {} });
    const what = `Grafana ${p.split("?")[0]}`;
    if (res.status === 401) throw new VerifyError(`${what}: HTTP 401: the admin password was rejected`);
    if (res.status !== 200) throw new VerifyError(`${what}: HTTP ${res.status}: ${res.body.trim().slice(0, 200)}`);
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
