/**
 * Linkerd's Grafana dashboards, downloaded from grafana.com by Grafana's
 * init container at the revisions Linkerd stable-2.14.10 pins
 * (LINKERD_DASHBOARDS in lib/versions.ts).
 *
 * Linkerd's dashboards select their datasource through a dashboard variable
 * named `datasource` (panels read `${datasource}`). The Grafana chart
 * replaces that reference with the uid of kube-prometheus-stack's Prometheus
 * datasource while downloading, so every panel queries that Prometheus
 * whatever datasource happens to be the default.
 */
import { LINKERD_DASHBOARDS } from "../../lib/versions";

/** The Prometheus datasource kube-prometheus-stack provisions in Grafana. */
export const GRAFANA_PROMETHEUS_DATASOURCE = {
  name: "Prometheus",
  uid: "prometheus",
} as const;

/** The dashboard variable Linkerd's dashboards use for their datasource. */
export const LINKERD_DASHBOARD_DATASOURCE_VARIABLE = "datasource";

/**
 * Placeholders replaced by the Prometheus datasource uid when a dashboard is
 * downloaded: Linkerd's own variable, and the name grafana.com exports use
 * (`${DS_PROMETHEUS}`), in case a published revision carries that form.
 */
export const LINKERD_DASHBOARD_DATASOURCE_PLACEHOLDERS = [LINKERD_DASHBOARD_DATASOURCE_VARIABLE, "DS_PROMETHEUS"] as const;

/** Grafana's file provider for the Linkerd dashboards (name = folder on disk). */
export const LINKERD_DASHBOARD_PROVIDER = {
  name: "linkerd",
  folder: "Linkerd",
  path: "/var/lib/grafana/dashboards/linkerd",
} as const;

export interface GrafanaDashboardValues {
  readonly gnetId: number;
  readonly revision: number;
  readonly datasource: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

/** `grafana.dashboardProviders` for kube-prometheus-stack. */
export function linkerdDashboardProviders() {
  return {
    "dashboardproviders.yaml": {
      apiVersion: 1,
      providers: [
        {
          name: LINKERD_DASHBOARD_PROVIDER.name,
          orgId: 1,
          folder: LINKERD_DASHBOARD_PROVIDER.folder,
          type: "file",
          // Dashboards are code: a rebuilt Grafana shows the same ones.
          disableDeletion: true,
          editable: false,
          options: { path: LINKERD_DASHBOARD_PROVIDER.path },
        },
      ],
    },
  };
}

/** `grafana.dashboards` for kube-prometheus-stack: one entry per Linkerd dashboard. */
export function linkerdDashboards(): Record<string, Record<string, GrafanaDashboardValues>> {
  const datasource = LINKERD_DASHBOARD_DATASOURCE_PLACEHOLDERS.map((name) => ({ name, value: GRAFANA_PROMETHEUS_DATASOURCE.uid }));
  const entries = Object.entries(LINKERD_DASHBOARDS).map(([name, d]) => [name, { gnetId: d.gnetId, revision: d.revision, datasource }] as const);
  return { [LINKERD_DASHBOARD_PROVIDER.name]: Object.fromEntries(entries) };
}
