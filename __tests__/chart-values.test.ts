import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CHART_KEYS_DIR,
  chartKeysFileName,
  formatPath,
  loadChartKeys,
  parsePath,
  unknownValuePaths,
  type ChartKeys,
} from "../lib/chart-values";
import { CHARTS } from "../lib/versions";

const chartNames = Object.keys(CHARTS) as (keyof typeof CHARTS)[];

describe("chart key paths", () => {
  it("round-trips segments holding dots and list items", () => {
    const segments = ["grafana", "grafana.ini", "server", "root_url"];
    expect(formatPath(segments)).toBe('grafana."grafana.ini".server.root_url');
    expect(parsePath('grafana."grafana.ini".server.root_url')).toEqual(segments);
    expect(parsePath("flannel.tolerations[].effect")).toEqual(["flannel", "tolerations", "[]", "effect"]);
    expect(formatPath(["flannel", "tolerations", "[]", "effect"])).toBe("flannel.tolerations[].effect");
  });

  it("rejects malformed paths", () => {
    expect(() => parsePath("a..b")).toThrow(/empty segment/);
    expect(() => parsePath('a."b')).toThrow(/unterminated quote/);
    expect(() => parsePath("[]")).toThrow(/list/);
  });
});

describe("unknownValuePaths", () => {
  const kps = loadChartKeys("kubePrometheusStack");
  const linkerd = loadChartKeys("linkerdControlPlane");
  const flannel = loadChartKeys("flannel");

  it("accepts known keys", () => {
    const values = {
      grafana: { adminPassword: "x", service: { type: "NodePort", nodePort: 1 } },
      prometheus: { prometheusSpec: { scrapeInterval: "5s", retention: "1d", podMonitorSelectorNilUsesHelmValues: false } },
    };
    expect(unknownValuePaths(values, kps)).toEqual([]);
  });

  it("rejects a misspelt key", () => {
    expect(unknownValuePaths({ grafana: { service: { nodeport: 1 } } }, kps)).toEqual(["grafana.service.nodeport"]);
    expect(unknownValuePaths({ disableHeartbeat: true }, linkerd)).toEqual(["disableHeartbeat"]);
  });

  it("accepts anything below a wildcard", () => {
    const values = {
      grafana: {
        podAnnotations: { "linkerd.io/inject": "disabled" },
        "grafana.ini": { "auth.anonymous": { enabled: true } },
      },
      prometheus: {
        prometheusSpec: {
          additionalScrapeConfigs: [{ job_name: "x", kubernetes_sd_configs: [{ role: "pod" }] }],
          storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "1Gi" } } } } },
        },
      },
      prometheusOperator: { admissionWebhooks: { patch: { podAnnotations: { "linkerd.io/inject": "disabled" } } } },
      alertmanager: { config: { route: { receiver: "null" }, receivers: [{ name: "null" }] } },
      additionalPrometheusRulesMap: { mesh: { groups: [{ name: "g", rules: [] }] } },
    };
    expect(unknownValuePaths(values, kps)).toEqual([]);
  });

  it("rejects an unknown key nested below a key that is not free-form", () => {
    expect(unknownValuePaths({ prometheus: { prometheusSpec: { scrapeIntervall: "5s" } } }, kps)).toEqual([
      "prometheus.prometheusSpec.scrapeIntervall",
    ]);
    // Linkerd reads per-component resources by name (cpu.request ...), not Kubernetes-style.
    expect(unknownValuePaths({ proxy: { resources: { requests: { cpu: "10m" } } } }, linkerd)).toEqual([
      "proxy.resources.requests",
    ]);
    expect(unknownValuePaths({ destinationResources: { cpu: { request: "10m" } } }, linkerd)).toEqual([]);
  });

  it("checks each dashboard's fields while leaving provider and dashboard names free", () => {
    const dashboard = { gnetId: 15474, revision: 4, datasource: "prometheus" };
    expect(unknownValuePaths({ grafana: { dashboards: { linkerd: { "top-line": dashboard } } } }, kps)).toEqual([]);
    expect(unknownValuePaths({ grafana: { dashboards: { linkerd: { "top-line": { gnetid: 15474 } } } } }, kps)).toEqual([
      "grafana.dashboards.linkerd.top-line.gnetid",
    ]);
  });

  it("checks the items of a list against the list's item keys", () => {
    expect(unknownValuePaths({ flannel: { args: ["--ip-masq"], backend: "vxlan" }, podCidr: "10.244.0.0/16" }, flannel)).toEqual([]);
    expect(unknownValuePaths({ netpol: { args: [{ name: "x" }] } }, flannel)).toEqual(["netpol.args[]"]);
  });

  it("refuses values that are not a map", () => {
    expect(() => unknownValuePaths(["x"], flannel)).toThrow(/map/);
  });
});

describe("committed key lists", () => {
  it.each(chartNames)("%s has a key list for the version pinned in lib/versions.ts", (name) => {
    const keys = loadChartKeys(name);
    expect(keys.header.chart).toBe(CHARTS[name].chart);
    expect(keys.header.version).toBe(CHARTS[name].version);
    expect(keys.header.sources.length).toBeGreaterThan(0);
    for (const source of keys.header.sources) {
      expect(source.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(source.repository).toMatch(/^[\w.-]+\/[\w.-]+$/);
    }
    expect(keys.header.sources[0]!.chartVersion).toBe(CHARTS[name].version);
    // Every entry parses, and every wildcard and extra key says why it is there.
    for (const key of keys.keys) expect(formatPath(parsePath(key))).toBe(key);
    for (const entry of [...keys.header.wildcards, ...keys.header.extraKeys]) {
      expect(() => parsePath(entry.path)).not.toThrow();
      expect(entry.reason.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ["kubePrometheusStack", ["grafana.adminPassword", "grafana.service.type", "grafana.service.nodePort", "grafana.dashboardProviders",
      "prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues", "prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues",
      "prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues", "prometheus.prometheusSpec.retention",
      "prometheus.prometheusSpec.scrapeInterval", "prometheus.prometheusSpec.storageSpec", "prometheusOperator.admissionWebhooks.patch.podAnnotations",
      "alertmanager.config", "grafana.persistence.enabled"]],
    ["linkerdControlPlane", ["identityTrustAnchorsPEM", "identity.issuer.tls.crtPEM", "identity.issuer.tls.keyPEM",
      "identity.issuer.issuanceLifetime", "disableHeartBeat", "podMonitor.enabled", "podMonitor.scrapeInterval", "podMonitor.scrapeTimeout",
      "webhookFailurePolicy", "controllerReplicas", "enablePodAntiAffinity", "enablePodDisruptionBudget", "highAvailability"]],
    ["flannel", ["podCidr", "flannel.backend"]],
    ["linkerdCrds", ["enableHttpRoutes"]],
  ] as const)("%s has the keys the project relies on", (name, expected) => {
    const keys = loadChartKeys(name);
    const values: Record<string, unknown> = {};
    for (const key of expected) {
      let at = values;
      const segments = parsePath(key);
      segments.forEach((segment, i) => {
        at = (at[segment] ??= i === segments.length - 1 ? "set" : {}) as Record<string, unknown>;
      });
    }
    expect(unknownValuePaths(values, keys)).toEqual([]);
  });

  it("fails clearly when the pinned version has no key list", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "chart-keys-"));
    try {
      expect(() => loadChartKeys("flannel", empty)).toThrow(
        new RegExp(`no key list for chart flannel ${CHARTS.flannel.version}.*regenerate`),
      );
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it("fails when a key list describes another version than the pinned one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chart-keys-"));
    try {
      const real = JSON.parse(
        fs.readFileSync(path.join(CHART_KEYS_DIR, chartKeysFileName(CHARTS.flannel.chart, CHARTS.flannel.version)), "utf8"),
      ) as ChartKeys;
      const stale = { ...real, header: { ...real.header, version: "v0.0.1" } };
      fs.writeFileSync(path.join(dir, chartKeysFileName(CHARTS.flannel.chart, CHARTS.flannel.version)), JSON.stringify(stale));
      expect(() => loadChartKeys("flannel", dir)).toThrow(/describes flannel v0\.0\.1/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
