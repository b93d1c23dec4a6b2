/**
 * What the platform hands to its charts: every value path is a key the
 * pinned chart really has, the mesh scrape jobs produce the labels Linkerd's
 * dashboards and the SLO rules query (checked by running the relabelling and
 * by the real promtool), and the Prometheus, Grafana and Alertmanager
 * settings the other stacks rely on.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { durationSeconds, type Config } from "../lib/config";
import { CHARTS, LINKERD_DASHBOARDS } from "../lib/versions";
import { LINKERD_JOBS, LINKERD_OBJECTS, MONITORING_SERVICE_PORTS, NAMESPACES, RELEASES } from "../lib/k8s-names";
import { loadChartKeys, unknownValuePaths } from "../lib/chart-values";
import { alertmanagerConfig, ALERTMANAGER_WEBHOOK_SECRET } from "../lib/alerting/alertmanager";
import { flannelValues } from "../stacks/platform/flannel";
import { ebsCsiDriverValues } from "../stacks/platform/ebs-csi-driver";
import { linkerdControlPlaneValues, LINKERD_IDENTITY_VALUE_PATHS } from "../stacks/platform/linkerd";
import { kubePrometheusStackValues, MONITORING_SENSITIVE_VALUE_PATHS } from "../stacks/platform/monitoring-values";
import { MESH_METRIC_LABELS, meshScrapeConfigs, type RelabelConfig, type ScrapeConfig } from "../stacks/platform/mesh-scrape";
import { LINKERD_DASHBOARD_PROVIDER } from "../stacks/platform/grafana-dashboards";
import { itWith, requireTool } from "./helpers/tools";
import { testConfig } from "./helpers/synth";

/** Chart values, read loosely. */
type Values = Record<string, any>;

/** Helm `--set` paths as the nested map Helm builds from them. */
function fromSetPaths(paths: readonly string[]): Values {
  const out: Values = {};
  for (const p of paths) {
    const parts = p.split(".");
    let node = out;
    parts.slice(0, -1).forEach((k) => (node = node[k] ??= {}));
    node[parts[parts.length - 1] as string] = "set";
  }
  return out;
}

// --- A small implementation of Prometheus target relabelling -------------------------

type Labels = Map<string, string>;

function anchored(regex: string | undefined): RegExp {
  return new RegExp(`^(?:${regex ?? "(.*)"})$`);
}

function relabel(input: Labels, rules: readonly RelabelConfig[]): Labels | null {
  const labels = new Map(input);
  for (const rule of rules) {
    const re = anchored(rule.regex);
    const action = rule.action ?? "replace";
    const value = (rule.source_labels ?? []).map((l) => labels.get(l) ?? "").join(rule.separator ?? ";");
    switch (action) {
      case "keep":
        if (!re.test(value)) return null;
        break;
      case "drop":
        if (re.test(value)) return null;
        break;
      case "replace": {
        if (!re.test(value)) break;
        const result = value.replace(re, rule.replacement ?? "$1");
        if (result === "") labels.delete(rule.target_label as string);
        else labels.set(rule.target_label as string, result);
        break;
      }
      case "labelmap":
        for (const [name, v] of [...labels]) {
          if (re.test(name)) labels.set(name.replace(re, rule.replacement ?? "$1"), v);
        }
        break;
      case "labeldrop":
        for (const name of [...labels.keys()]) if (re.test(name)) labels.delete(name);
        break;
      default:
        throw new Error(`relabel action ${action} not modelled`);
    }
  }
  const out = new Map([...labels].filter(([name]) => !name.startsWith("__")));
  if (!out.has("instance")) out.set("instance", input.get("__address__") ?? "");
  return out;
}

/** Prometheus' Kubernetes pod discovery labels for one container port. */
function podTarget(job: string, pod: { namespace: string; name: string; container: string; port: string; labels: Record<string, string> }): Labels {
  const sanitize = (s: string) => s.replace(/[^a-zA-Z0-9_]/g, "_");
  const labels = new Map<string, string>([
    ["job", job],
    ["__address__", "10.244.1.7:4191"],
    ["__metrics_path__", "/metrics"],
    ["__scheme__", "http"],
    ["__meta_kubernetes_namespace", pod.namespace],
    ["__meta_kubernetes_pod_name", pod.name],
    ["__meta_kubernetes_pod_container_name", pod.container],
    ["__meta_kubernetes_pod_container_port_name", pod.port],
  ]);
  for (const [k, v] of Object.entries(pod.labels)) labels.set(`__meta_kubernetes_pod_label_${sanitize(k)}`, v);
  return labels;
}

function job(config: Config, name: string): ScrapeConfig {
  const found = meshScrapeConfigs(config).find((j) => j.job_name === name);
  if (!found) throw new Error(`no scrape job ${name}`);
  return found;
}

const meshedReviews = {
  namespace: NAMESPACES.bookinfo,
  name: "reviews-v2-5b8c7d9f4-x2x7q",
  container: LINKERD_OBJECTS.proxyContainer,
  port: "linkerd-admin",
  labels: {
    app: "reviews",
    version: "v2",
    "pod-template-hash": "5b8c7d9f4",
    "linkerd.io/control-plane-ns": NAMESPACES.linkerd,
    "linkerd.io/proxy-deployment": "reviews-v2",
    "linkerd.io/workload-ns": NAMESPACES.bookinfo,
  },
};

describe("meshScrapeConfigs", () => {
  const config = testConfig();
  const proxy = job(config, LINKERD_JOBS.proxy);
  const controller = job(config, LINKERD_JOBS.controller);

  it("defines exactly the linkerd-controller and linkerd-proxy jobs", () => {
    expect(meshScrapeConfigs(config).map((j) => j.job_name).sort()).toEqual(["linkerd-controller", "linkerd-proxy"]);
  });

  it.each([{}, { platform: { monitoring: { meshScrapeInterval: "2s" } } }])(
    "scrapes the mesh every ≤ 5 s with a timeout no longer than the interval (%j)",
    (context) => {
      const c = testConfig(context);
      for (const j of meshScrapeConfigs(c)) {
        expect(j.scrape_interval).toBe(c.platform.monitoring.meshScrapeInterval);
        expect(durationSeconds(j.scrape_interval)).toBeLessThanOrEqual(5);
        expect(durationSeconds(j.scrape_timeout)).toBeLessThanOrEqual(durationSeconds(j.scrape_interval));
        expect(durationSeconds(j.scrape_timeout)).toBeGreaterThan(0);
      }
    },
  );

  it("labels a meshed pod's proxy metrics the way Linkerd's dashboards and the SLO rules query them", () => {
    const labels = relabel(podTarget(proxy.job_name, meshedReviews), proxy.relabel_configs);
    expect(labels && Object.fromEntries(labels)).toEqual({
      job: "linkerd-proxy",
      instance: "10.244.1.7:4191",
      namespace: "bookinfo",
      pod: meshedReviews.name,
      container: "linkerd-proxy",
      deployment: "reviews-v2",
      app: "reviews",
      version: "v2",
      pod_template_hash: "5b8c7d9f4",
      control_plane_ns: "linkerd",
      workload_ns: "bookinfo",
    });
    for (const name of MESH_METRIC_LABELS) expect(labels?.has(name)).toBe(true);
  });

  it("keeps Prometheus' job label when the pod belongs to a Kubernetes Job", () => {
    const jobPod = { ...meshedReviews, labels: { "linkerd.io/control-plane-ns": "linkerd", "linkerd.io/proxy-job": "bench", "job-name": "bench" } };
    const labels = relabel(podTarget(proxy.job_name, jobPod), proxy.relabel_configs);
    expect(labels?.get("job")).toBe("linkerd-proxy");
    expect(labels?.get("k8s_job")).toBe("bench");
  });

  it("scrapes only the proxy's admin port of pods meshed by this control plane", () => {
    const appContainer = { ...meshedReviews, container: "reviews", port: "http" };
    const otherMesh = { ...meshedReviews, labels: { ...meshedReviews.labels, "linkerd.io/control-plane-ns": "other" } };
    const unmeshed = { ...meshedReviews, labels: { app: "reviews" } };
    for (const pod of [appContainer, otherMesh, unmeshed]) expect(relabel(podTarget(proxy.job_name, pod), proxy.relabel_configs)).toBeNull();
  });

  it("scrapes the control plane's admin ports as linkerd-controller, labelled by component", () => {
    expect(controller.kubernetes_sd_configs).toEqual([{ role: "pod", namespaces: { names: [NAMESPACES.linkerd] } }]);
    const destination = { namespace: "linkerd", name: "linkerd-destination-7d9c-abcde", container: "destination", port: "admin-http", labels: {} };
    const labels = relabel(podTarget(controller.job_name, destination), controller.relabel_configs);
    expect(labels?.get("job")).toBe("linkerd-controller");
    expect(labels?.get("component")).toBe("destination");
    const proxyPort = { ...destination, container: "linkerd-proxy", port: "linkerd-admin" };
    expect(relabel(podTarget(controller.job_name, proxyPort), controller.relabel_configs)).toBeNull();
  });

  describe("with the real promtool", () => {
    const promtool = requireTool("promtool", "prometheus");
    /**
     * Debian's promtool is built without Kubernetes service discovery, so the
     * discovery block is swapped for an empty static one; the job names,
     * intervals, timeouts and every relabelling rule are checked as written.
     */
    const withoutDiscovery = (jobs: readonly ScrapeConfig[]) =>
      jobs.map(({ kubernetes_sd_configs: _sd, ...rest }) => ({ ...rest, static_configs: [{ targets: [] }] }));
    const check = (scrapeConfigs: unknown): { ok: boolean; output: string } => {
      const dir = mkdtempSync(path.join(tmpdir(), "mesh-scrape-"));
      try {
        const file = path.join(dir, "prometheus.yml");
        writeFileSync(file, stringify({ global: { scrape_interval: config.platform.monitoring.scrapeInterval }, scrape_configs: scrapeConfigs }));
        try {
          return { ok: true, output: execFileSync(promtool as string, ["check", "config", file], { encoding: "utf8", stdio: "pipe" }) };
        } catch (e) {
          const err = e as { stdout?: string; stderr?: string };
          return { ok: false, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    itWith(promtool)("accepts the mesh scrape jobs as Prometheus configuration", () => {
      const result = check(withoutDiscovery(meshScrapeConfigs(config)));
      expect(result.output).toMatch(/SUCCESS/);
      expect(result.ok).toBe(true);
    });
    itWith(promtool)("would reject a timeout longer than the interval (the check can fail)", () => {
      const broken = withoutDiscovery(meshScrapeConfigs(config)).map((j) => ({ ...j, scrape_timeout: "30s" }));
      const result = check(broken);
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/scrape timeout greater than scrape interval/);
    });
  });
});

describe("kubePrometheusStackValues", () => {
  const config = testConfig();
  const v = kubePrometheusStackValues(config) as Values;

  it("selects PrometheusRules, ServiceMonitors, PodMonitors, Probes and ScrapeConfigs from every release and namespace", () => {
    const spec = v.prometheus.prometheusSpec;
    for (const key of [
      "ruleSelectorNilUsesHelmValues",
      "serviceMonitorSelectorNilUsesHelmValues",
      "podMonitorSelectorNilUsesHelmValues",
      "probeSelectorNilUsesHelmValues",
      "scrapeConfigSelectorNilUsesHelmValues",
    ]) {
      expect(spec[key]).toBe(false);
    }
    // Namespace selectors stay at the chart default: every namespace.
    expect(spec.ruleNamespaceSelector).toBeUndefined();
  });

  it("keeps metrics for the configured retention", () => {
    expect(v.prometheus.prometheusSpec.retention).toBe(config.platform.monitoring.retention);
    expect((kubePrometheusStackValues(testConfig({ platform: { monitoring: { retention: "15d" } } })) as Values).prometheus.prometheusSpec.retention).toBe("15d");
  });

  it("appends the mesh scrape jobs to Prometheus", () => {
    expect(v.prometheus.prometheusSpec.additionalScrapeConfigs).toEqual(meshScrapeConfigs(config));
    expect(v.prometheus.prometheusSpec.portName).toBe(MONITORING_SERVICE_PORTS.prometheus);
  });

  it("keeps Linkerd's proxy out of the admission-webhook patch Jobs", () => {
    expect(v.prometheusOperator.admissionWebhooks.patch.podAnnotations).toEqual({ "linkerd.io/inject": "disabled" });
  });

  it("provisions every shipped Linkerd dashboard at its pinned revision, wired to the Prometheus datasource", () => {
    const uid = v.grafana.sidecar.datasources.uid;
    expect(uid).toBe("prometheus");
    const dashboards = v.grafana.dashboards[LINKERD_DASHBOARD_PROVIDER.name];
    expect(Object.keys(dashboards).sort()).toEqual(Object.keys(LINKERD_DASHBOARDS).sort());
    for (const [name, pinned] of Object.entries(LINKERD_DASHBOARDS)) {
      expect(dashboards[name]).toEqual({ gnetId: pinned.gnetId, revision: pinned.revision, datasource: [{ name: "datasource", value: uid }, { name: "DS_PROMETHEUS", value: uid }] });
    }
    expect(Object.keys(LINKERD_DASHBOARDS).sort()).toEqual(
      ["linkerd-top-line", "linkerd-deployment", "linkerd-pod", "linkerd-namespace", "linkerd-service", "linkerd-authority", "linkerd-health"].sort(),
    );
    // Not shipped: "Kubernetes" (queries a cAdvisor label kube-prometheus-stack's kubelet job lacks) and
    // "Route" (ServiceProfile route metrics; no ServiceProfile here): neither could show data.
    expect(JSON.stringify(dashboards)).not.toMatch(/15479|15481/);
  });

  it("gives the dashboards a file provider whose path is where the chart downloads them", () => {
    const providers = v.grafana.dashboardProviders["dashboardproviders.yaml"].providers;
    expect(providers).toEqual([
      expect.objectContaining({ name: LINKERD_DASHBOARD_PROVIDER.name, type: "file", options: { path: LINKERD_DASHBOARD_PROVIDER.path } }),
    ]);
    expect(LINKERD_DASHBOARD_PROVIDER.path).toBe(`/var/lib/grafana/dashboards/${LINKERD_DASHBOARD_PROVIDER.name}`);
  });

  it("routes alerts with the project's Alertmanager configuration, mounting the webhook Secret only when the webhook is on", () => {
    expect(v.alertmanager.config).toEqual(alertmanagerConfig(config));
    expect(v.alertmanager.alertmanagerSpec).not.toHaveProperty("secrets");
    const on = testConfig({ alerting: { webhookEnabled: true } });
    const withWebhook = kubePrometheusStackValues(on) as Values;
    expect(withWebhook.alertmanager.config).toEqual(alertmanagerConfig(on));
    expect(withWebhook.alertmanager.alertmanagerSpec.secrets).toEqual([ALERTMANAGER_WEBHOOK_SECRET.name]);
  });
});

describe("chart values", () => {
  const config = testConfig();
  const ha = testConfig({ cluster: { workers: { count: 3 } }, platform: { linkerd: { highAvailability: true } } });
  const cases: Array<[string, keyof typeof CHARTS, Values]> = [
    [RELEASES.flannel, "flannel", flannelValues(config)],
    [RELEASES.linkerdCrds, "linkerdCrds", {}],
    [RELEASES.linkerdControlPlane, "linkerdControlPlane", { ...linkerdControlPlaneValues(config), ...fromSetPaths(Object.values(LINKERD_IDENTITY_VALUE_PATHS)) }],
    [`${RELEASES.linkerdControlPlane} (HA)`, "linkerdControlPlane", linkerdControlPlaneValues(ha)],
    [RELEASES.kubePrometheusStack, "kubePrometheusStack", { ...kubePrometheusStackValues(config), ...mergeGrafana(kubePrometheusStackValues(config) as Values) }],
    [RELEASES.awsEbsCsiDriver, "awsEbsCsiDriver", ebsCsiDriverValues(config)],
  ];

  function mergeGrafana(values: Values): Values {
    const sensitive = fromSetPaths(Object.values(MONITORING_SENSITIVE_VALUE_PATHS));
    return { grafana: { ...values.grafana, ...sensitive.grafana } };
  }

  it.each(cases)("passes %s only value paths its pinned chart has", (_name, chart, values) => {
    expect(unknownValuePaths(values, loadChartKeys(chart))).toEqual([]);
  });

  it("catches a misspelt value path (the check can fail)", () => {
    expect(unknownValuePaths({ disableHeartbeat: true }, loadChartKeys("linkerdControlPlane"))).toEqual(["disableHeartbeat"]);
  });
});
