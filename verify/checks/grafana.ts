/** Grafana through the API server's service proxy: health, admin login, the Linkerd dashboards and their data. */
import { LINKERD_DASHBOARDS } from "../../lib/versions";
import { GRAFANA_ADMIN_USER } from "../grafana";
import { VerifyError } from "../http";
import { need } from "../runner";
import type { GrafanaDashboard, GrafanaDatasources, Panel, PromVector } from "../schemas";
import type { Check, Outcome } from "../types";
import { listSome } from "./cluster";

export type DashboardKey = keyof typeof LINKERD_DASHBOARDS;
export const DASHBOARD_KEYS = Object.keys(LINKERD_DASHBOARDS) as DashboardKey[];

/** Which Linkerd dashboard this is: by its provisioned file name (`<key>.json`) or its grafana.com id. */
export function dashboardKey(d: GrafanaDashboard): DashboardKey | undefined {
  const file = d.meta.provisionedExternalId?.split("/").pop()?.replace(/\.json$/, "");
  const byFile = DASHBOARD_KEYS.find((k) => k === file);
  if (byFile) return byFile;
  return DASHBOARD_KEYS.find((k) => d.dashboard.gnetId != null && LINKERD_DASHBOARDS[k].gnetId === d.dashboard.gnetId);
}

export interface PanelQuery {
  readonly panel: string;
  readonly expr: string;
  readonly datasource: Panel["datasource"];
}

/** Every PromQL target in the dashboard, rows' nested panels included, in layout order. */
export function panelQueries(d: GrafanaDashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  const walk = (panels: readonly Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        if (t.expr && t.expr.trim() !== "") out.push({ panel: p.title || "(untitled)", expr: t.expr, datasource: t.datasource ?? p.datasource });
      }
      walk(p.panels ?? []);
    }
  };
  walk(d.dashboard.panels);
  return out;
}

/** Grafana's interval macros, replaced as a panel would at a short time range. */
const INTERVAL_MACROS = /\$(__rate_interval|__interval_ms|__interval|__range_s|__range_ms|__range|interval)\b/g;

/**
 * Fills in a panel query as Grafana would with every template variable set to
 * "All": `label="$var"` becomes `label=~".*"`, any other `$var` becomes `.*`.
 */
export function instantiate(expr: string): string {
  return expr
    .replace(INTERVAL_MACROS, (_m, name: string) => (name === "__interval_ms" || name === "__range_ms" ? "60000" : name === "__range_s" ? "60" : "1m"))
    .replace(/([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"(\$\{?[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}?|\[\[[A-Za-z_][A-Za-z0-9_]*\]\])"/g, '$1=~".*"')
    .replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[A-Za-z_][A-Za-z0-9_]*\]\]/g, ".*");
}

/**
 * The datasource uid a panel query runs against, resolved as Grafana does:
 * no reference → the default datasource; a name or uid → that datasource;
 * a dashboard datasource variable → the default Prometheus. An unresolved
 * grafana.com import input (`${DS_...}`) or an unknown name is an error.
 */
export function resolveDatasource(ref: Panel["datasource"], list: GrafanaDatasources, d: GrafanaDashboard): string {
  const fallback = () => {
    const ds = list.find((x) => x.isDefault && x.type === "prometheus") ?? list.find((x) => x.type === "prometheus");
    if (!ds) throw new VerifyError("Grafana has no Prometheus datasource");
    return ds.uid;
  };
  if (ref === undefined || ref === null) return fallback();
  const text = typeof ref === "string" ? ref : ref.uid;
  if (text === undefined || text === "") return fallback();
  if (/^\$\{DS_/.test(text)) throw new VerifyError(`panel datasource ${text} was never replaced at import: the dashboard is not wired to a datasource`);
  const variable = text.match(/^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/)?.[1];
  if (variable) {
    if (d.dashboard.templating.list.some((v) => v.name === variable && v.type === "datasource")) return fallback();
    throw new VerifyError(`panel datasource ${text} is not a datasource variable of the dashboard`);
  }
  const ds = list.find((x) => x.uid === text) ?? list.find((x) => x.name === text);
  if (!ds) throw new VerifyError(`panel datasource ${JSON.stringify(text)} does not exist in Grafana (have: ${list.map((x) => x.name).join(", ")})`);
  return ds.uid;
}

export interface FoundDashboards {
  readonly found: Map<DashboardKey, GrafanaDashboard>;
}

export function decideDashboards(found: ReadonlyMap<string, GrafanaDashboard>): Outcome {
  const missing = DASHBOARD_KEYS.filter((k) => !found.has(k));
  const empty = DASHBOARD_KEYS.filter((k) => found.has(k) && panelQueries(found.get(k)!).length === 0);
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing: ${missing.map((k) => `${k} (gnetId ${LINKERD_DASHBOARDS[k].gnetId})`).join(", ")}`);
  if (empty.length > 0) problems.push(`no panel queries (download failed?): ${empty.join(", ")}`);
  if (problems.length > 0) return { ok: false, evidence: problems.join("; ") };
  return { ok: true, evidence: `${DASHBOARD_KEYS.length}/${DASHBOARD_KEYS.length} Linkerd dashboards present: ${DASHBOARD_KEYS.map((k) => `"${found.get(k)!.dashboard.title}"`).join(", ")}` };
}

/**
 * Panel types Grafana 12+ (no Angular; kube-prometheus-stack 88.5.3 ships
 * Grafana 13) migrates on load, as its dashboard code does
 * (public/app/features/dashboard/state/PanelModel.ts `autoMigrateAngular`,
 * getPanelPluginToMigrateTo.ts for `graph`).
 */
export const ANGULAR_MIGRATIONS: Readonly<Record<string, string>> = {
  graph: "timeseries",
  "table-old": "table",
  singlestat: "stat",
  "grafana-singlestat-panel": "stat",
  "grafana-piechart-panel": "piechart",
  "grafana-worldmap-panel": "geomap",
};

/** Grafana's built-in (React) panel types a migrated dashboard may hold. */
export const CORE_PANEL_TYPES = new Set([
  "timeseries", "stat", "gauge", "bargauge", "barchart", "histogram", "table", "text", "heatmap", "piechart",
  "geomap", "state-timeline", "status-history", "logs", "nodeGraph", "traces", "dashlist", "alertlist", "news", "xychart", "trend", "canvas",
]);

/** Panels that hold no query of their own. */
const LAYOUT_PANEL_TYPES = new Set(["row", "text", "dashlist", "alertlist", "news"]);

/** The type a panel has once Grafana loaded it, or undefined when Grafana can no longer render it. */
export function migratedPanelType(p: Panel): string | undefined {
  const type = p.type ?? "timeseries";
  if (type === "graph") {
    if (p.xaxis?.mode === "series") return p.legend?.values ? "bargauge" : "barchart";
    if (p.xaxis?.mode === "histogram") return "histogram";
  }
  const to = ANGULAR_MIGRATIONS[type] ?? type;
  return CORE_PANEL_TYPES.has(to) || to === "row" ? to : undefined;
}

export interface DataPanel {
  readonly title: string;
  /** Its type as stored, and after Grafana's migration (undefined: not renderable). */
  readonly storedType: string;
  readonly type: string | undefined;
  readonly queries: readonly PanelQuery[];
}

/** Every panel that should show data (not rows or text), rows' nested panels included, in layout order. */
export function dataPanels(d: GrafanaDashboard): DataPanel[] {
  const out: DataPanel[] = [];
  const walk = (panels: readonly Panel[]) => {
    for (const p of panels) {
      const storedType = p.type ?? "timeseries";
      if (!LAYOUT_PANEL_TYPES.has(storedType)) {
        const queries = (p.targets ?? [])
          .filter((t) => t.expr && t.expr.trim() !== "")
          .map((t) => ({ panel: p.title || "(untitled)", expr: t.expr as string, datasource: t.datasource ?? p.datasource }));
        out.push({ title: p.title || "(untitled)", storedType, type: migratedPanelType(p), queries });
      }
      walk(p.panels ?? []);
    }
  };
  walk(d.dashboard.panels);
  return out;
}

export interface QueryAttempt {
  readonly panel: string;
  readonly expr: string;
  readonly series?: number;
  readonly error?: string;
  /** A failure-only query that is empty while its series without the failure matcher exist. */
  readonly healthyEmpty?: boolean;
}

/**
 * Label matchers that select only failures (Linkerd's "TCP CONNECTION
 * FAILURES" panels: `tcp_close_total{errno!=""}`; failure-classified
 * responses). A healthy cluster has no such series, so such a panel is empty
 * by design; it is checked by the same query without the matcher, which
 * shows the panel reads series that exist.
 */
const FAILURE_ONLY_MATCHERS = [/\s*,?\s*errno\s*!=\s*""\s*/g, /\s*,?\s*classification\s*=\s*"failure"\s*/g];

/** The query without its failure-only matchers, or undefined when it has none. */
export function withoutFailureOnlyMatchers(expr: string): string | undefined {
  let out = expr;
  for (const m of FAILURE_ONLY_MATCHERS) out = out.replace(m, (found) => (found.trim().startsWith(",") || !found.includes(",") ? "" : ","));
  out = out.replace(/\{\s*,\s*/g, "{").replace(/\s*,\s*\}/g, "}");
  return out === expr ? undefined : out;
}

export interface PanelResult {
  readonly panel: string;
  readonly storedType: string;
  readonly type: string | undefined;
  readonly attempts: readonly QueryAttempt[];
}

/** Every panel of every dashboard must render after migration and show data from at least one of its queries. */
export function decidePanels(results: ReadonlyMap<string, readonly PanelResult[]>): Outcome {
  const good: string[] = [];
  const bad: string[] = [];
  for (const [key, panels] of results) {
    const problems: string[] = [];
    for (const p of panels) {
      if (p.type === undefined) {
        problems.push(`"${p.panel}" (${p.storedType}) has no migration in Grafana without Angular`);
        continue;
      }
      if (p.attempts.length === 0) {
        problems.push(`"${p.panel}" has no query`);
        continue;
      }
      if (!p.attempts.some((a) => (a.series ?? 0) > 0 || a.healthyEmpty === true)) {
        const last = p.attempts[p.attempts.length - 1];
        problems.push(`"${p.panel}" (${p.type}) shows no data${last?.error ? ` (${last.error})` : ""}`);
      }
    }
    if (panels.length === 0) problems.push("no data panel at all");
    if (problems.length > 0) bad.push(`${key}: ${problems.join(", ")}`);
    else good.push(`${key} ${panels.length}/${panels.length}`);
  }
  if (results.size === 0) return { ok: false, evidence: "no dashboards to query" };
  if (bad.length > 0) return { ok: false, evidence: listSome(bad) };
  return { ok: true, evidence: `every panel of ${good.length} dashboards shows data after migration (${good.join(", ")})` };
}

export const grafanaHealthCheck: Check = {
  id: "grafana-health",
  title: "Grafana health",
  needs: ["api"],
  remedy: "check the Grafana pod and Service in monitoring (kubectl -n monitoring get pods,svc): the check reaches Grafana through the API server's service proxy",
  async run(ctx, signal) {
    const g = need(ctx.grafana);
    const h = await g.health(signal);
    if (h.database !== "ok") return { ok: false, evidence: `Grafana (service proxy): database "${h.database}"` };
    return { ok: true, evidence: `Grafana (service proxy): database ok${h.version ? `, Grafana ${h.version}` : ""}` };
  },
};

export const grafanaLoginCheck: Check = {
  id: "grafana-login",
  title: "Grafana admin login",
  needs: ["grafana-health"],
  remedy: "the password is the platform stack's sensitive output grafana_admin_password; if Grafana kept an older one in its database, reset it or recreate the pod's storage",
  async run(ctx, signal) {
    const u = await need(ctx.grafana).user(signal);
    if (u.login !== GRAFANA_ADMIN_USER) return { ok: false, evidence: `logged in as ${u.login}, expected ${GRAFANA_ADMIN_USER}` };
    return { ok: true, evidence: `logged in as ${u.login}` };
  },
};

export const dashboardsCheck: Check = {
  id: "grafana-dashboards",
  title: "Linkerd dashboards",
  needs: ["grafana-login"],
  remedy: "check the grafana pod's download-dashboards init container log: a failed grafana.com download leaves the dashboard missing or empty",
  async run(ctx, signal) {
    const g = need(ctx.grafana);
    const hits = await g.search(signal);
    const looksLinkerd = (h: { title: string; uid: string }) => /linkerd/i.test(h.title) || /linkerd/i.test(h.uid);
    const found = new Map<string, GrafanaDashboard>();
    // Likely candidates first; the rest only while some dashboard is still unaccounted for.
    for (const h of [...hits.filter(looksLinkerd), ...hits.filter((h) => !looksLinkerd(h))]) {
      if (found.size === DASHBOARD_KEYS.length) break;
      const d = await g.dashboard(h.uid, signal);
      const key = dashboardKey(d);
      if (key && !found.has(key)) found.set(key, d);
    }
    ctx.facts.dashboards = found;
    return decideDashboards(found);
  },
};

export const panelsCheck: Check = {
  id: "grafana-panels",
  title: "Dashboard panels have data",
  needs: ["grafana-dashboards"],
  remedy:
    "a panel without data has the wrong datasource or queries series or labels Prometheus does not have (job, namespace, deployment); " +
    "compare its query in Explore. A panel with no migration cannot render in Grafana without Angular",
  async run(ctx, signal) {
    const g = need(ctx.grafana);
    const datasources = await g.datasources(signal);
    const results = new Map<string, PanelResult[]>();
    for (const [key, d] of ctx.facts.dashboards ?? new Map<string, GrafanaDashboard>()) {
      const panels: PanelResult[] = [];
      for (const p of dataPanels(d)) {
        const attempts: QueryAttempt[] = [];
        if (p.type !== undefined) {
          // A panel shows data when any of its queries does.
          for (const q of p.queries) {
            const expr = instantiate(q.expr);
            try {
              const uid = resolveDatasource(q.datasource, datasources, d);
              const v: PromVector = await g.query(uid, expr, signal);
              if (v.data.result.length > 0) {
                attempts.push({ panel: q.panel, expr, series: v.data.result.length });
                break;
              }
              const relaxed = withoutFailureOnlyMatchers(expr);
              const base = relaxed === undefined ? undefined : await g.query(uid, relaxed, signal);
              const healthyEmpty = base !== undefined && base.data.result.length > 0;
              attempts.push({ panel: q.panel, expr, series: 0, ...(healthyEmpty ? { healthyEmpty } : {}) });
              if (healthyEmpty) break;
            } catch (e) {
              if (!(e instanceof VerifyError)) throw e;
              attempts.push({ panel: q.panel, expr, error: e.message });
            }
          }
        }
        panels.push({ panel: p.title, storedType: p.storedType, type: p.type, attempts });
      }
      results.set(key, panels);
    }
    return decidePanels(results);
  },
};
