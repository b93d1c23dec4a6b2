/**
 * Each check's decision against recorded API, Prometheus and Grafana answers:
 * the healthy answer passes, and each failure mode fails with evidence that
 * names the problem. Answers go through the same schemas as live ones.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { expectedEdges } from "../lib/bookinfo-graph";
import { PORTS } from "../lib/ports";
import { decideProductpage } from "../verify/checks/bookinfo";
import {
  decideCertificates,
  decideControlPlane,
  decideKubelets,
  decideMeshed,
  decideNodes,
  decidePods,
  watchedNamespaces,
  WATCHED_NAMESPACES,
} from "../verify/checks/cluster";
import {
  DASHBOARD_KEYS,
  dashboardKey,
  dataPanels,
  decideDashboards,
  decidePanels,
  instantiate,
  migratedPanelType,
  panelQueries,
  withoutFailureOnlyMatchers,
  resolveDatasource,
} from "../verify/checks/grafana";
import { decideAlerts, decideFreshness, decideMtls, decideRules } from "../verify/checks/mesh";
import { VerifyError } from "../verify/http";
import {
  decode,
  deploymentList,
  grafanaDashboard,
  grafanaDatasources,
  nodeList,
  podList,
  promAlerts,
  promRules,
  promVector,
  type GrafanaDashboard,
  type PodList,
} from "../verify/schemas";

const dir = path.join(__dirname, "fixtures", "verify");
const fixture = (file: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Record<string, unknown>;
const nodes = fixture("nodes.json");
const pods = fixture("pods.json");
const deployments = fixture("deployments.json");
const certs = fixture("linkerd-certs.json") as Record<string, string>;
const prom = fixture("prometheus.json");
const rules = fixture("prometheus-rules.json");
const alerts = fixture("prometheus-alerts.json");
const grafana = fixture("grafana.json");

const vector = (key: string) => decode(key, promVector, prom[key]);
const healthyPods = pods.healthy as Record<string, unknown>;
const podsOf = (v: unknown): PodList => decode("pods", podList, v);
const weights = { v1: 1, v2: 1, v3: 1 };

describe("verify: nodes", () => {
  it("passes when every node is Ready and the count matches", () => {
    const d = decideNodes(decode("n", nodeList, nodes.healthy), 3);
    expect(d).toMatchObject({ ok: true, names: ["ip-10-0-1-10", "ip-10-0-1-11", "ip-10-0-2-194"] });
    expect(d.evidence).toContain("3/3 Ready");
  });
  it("fails naming a NotReady node and its reason", () => {
    const d = decideNodes(decode("n", nodeList, nodes["one-not-ready"]), 3);
    expect(d.ok).toBe(false);
    expect(d.evidence).toContain("ip-10-0-2-194 (Ready=False, KubeletNotReady)");
  });
  it("fails when fewer nodes registered than configured, or more", () => {
    expect(decideNodes(decode("n", nodeList, nodes["one-missing"]), 3)).toMatchObject({ ok: false, evidence: expect.stringContaining("expected 3") });
    expect(decideNodes(decode("n", nodeList, nodes.healthy), 2).ok).toBe(false);
  });
});

describe("verify: kubelets", () => {
  it("passes when every node's healthz answers ok through the API server", () => {
    expect(decideKubelets([{ node: "a", status: 200, body: "ok" }, { node: "b", status: 200, body: "ok\n" }]).ok).toBe(true);
  });
  it("fails with the API server's dial error when a kubelet is unreachable (kubelet port blocked)", () => {
    const d = decideKubelets([
      { node: "a", status: 200, body: "ok" },
      { node: "ip-10-0-2-194", status: 502, body: `error dialing backend: dial tcp 10.0.2.194:${PORTS.kubelet.port}: i/o timeout` },
    ]);
    expect(d.ok).toBe(false);
    expect(d.evidence).toContain(`ip-10-0-2-194: HTTP 502 error dialing backend: dial tcp 10.0.2.194:${PORTS.kubelet.port}: i/o timeout`);
  });
  it("shows the message of a Kubernetes Status answer rather than its JSON", () => {
    const body = JSON.stringify({ kind: "Status", status: "Failure", message: `error dialing backend: dial tcp 10.0.2.194:${PORTS.kubelet.port}: i/o timeout`, code: 502 });
    expect(decideKubelets([{ node: "n", status: 502, body }]).evidence).toBe(`1 of 1 kubelets unreachable: n: HTTP 502 error dialing backend: dial tcp 10.0.2.194:${PORTS.kubelet.port}: i/o timeout`);
  });
  it("fails on transport errors and when there is no node to probe", () => {
    expect(decideKubelets([{ node: "a", error: "timed out" }]).ok).toBe(false);
    expect(decideKubelets([]).ok).toBe(false);
  });
});

describe("verify: pods", () => {
  const all = (override: Record<string, unknown> = {}) =>
    Object.fromEntries(Object.entries({ ...healthyPods, ...override }).map(([ns, v]) => [ns, podsOf(v)]));

  it("passes when every pod is Running and Ready, completed Job pods included", () => {
    const d = decidePods(all());
    expect(d.ok).toBe(true);
    expect(d.evidence).toMatch(/^\d+ pods Running and Ready \(kube-system 9, kube-flannel 3, linkerd 3, monitoring 9, bookinfo 7, linkerd-jaeger 3, logging 4\)$/);
  });
  it("reads tracing's and logging's namespaces only when they are on", () => {
    expect(watchedNamespaces({ tracing: true, logs: true })).toEqual([...WATCHED_NAMESPACES, "linkerd-jaeger", "logging"]);
    expect(watchedNamespaces({ tracing: false, logs: false })).toEqual([...WATCHED_NAMESPACES]);
  });
  it("fails on Linkerd pods stuck in PodInitializing, naming them", () => {
    const d = decidePods(all({ linkerd: pods["linkerd-pod-initializing"] }));
    expect(d.ok).toBe(false);
    expect(d.evidence).toContain("linkerd/linkerd-destination-7b6d9f8c4-m2x5v Pending (PodInitializing)");
  });
  it("fails on a crash-looping container", () => {
    expect(decidePods(all({ monitoring: pods["monitoring-crashloop"] })).evidence).toContain("grafana CrashLoopBackOff");
  });
  it("fails on a namespace without pods", () => {
    expect(decidePods(all({ bookinfo: pods["namespace-empty"] }))).toMatchObject({ ok: false, evidence: expect.stringContaining("bookinfo: no pods at all") });
  });
});

describe("verify: Linkerd control plane and certificates", () => {
  it("passes when identity, destination and proxy-injector are available", () => {
    expect(decideControlPlane(decode("d", deploymentList, deployments.healthy)).ok).toBe(true);
  });
  it("fails on unavailable or missing deployments", () => {
    expect(decideControlPlane(decode("d", deploymentList, deployments["destination-unavailable"])).evidence).toBe(
      "linkerd-destination 0/1 available; linkerd-proxy-injector 0/1 available",
    );
    expect(decideControlPlane(decode("d", deploymentList, deployments["injector-missing"])).evidence).toContain("linkerd-proxy-injector missing");
  });

  const issuerStart = new Date(new X509Certificate(certs.issuerPem!).validFrom);
  const days = (n: number) => new Date(issuerStart.getTime() + n * 86_400_000);

  it("passes with remaining validity and the issuer chaining to the anchor", () => {
    const d = decideCertificates(certs.issuerPem!, certs.anchorPem!, days(1), 30);
    expect(d.ok).toBe(true);
    expect(d.evidence).toMatch(/issuer 36\d d left .*trust anchor 36\d\d d left .*issuer chains to the anchor/);
  });
  it("fails when the issuer is within the minimum, and when it has expired", () => {
    expect(decideCertificates(certs.issuerPem!, certs.anchorPem!, days(350), 30).evidence).toMatch(/issuer expires in 1[45] d/);
    expect(decideCertificates(certs.issuerPem!, certs.anchorPem!, days(400), 30).evidence).toMatch(/issuer expired on/);
  });
  it("fails when the issuer was not signed by the trust anchor", () => {
    expect(decideCertificates(certs.issuerPem!, certs.unrelatedAnchorPem!, days(1), 30).evidence).toContain("not signed by any trust anchor");
  });
  it("fails clearly on unparsable certificates or an empty bundle", () => {
    expect(decideCertificates("garbage", certs.anchorPem!, days(1), 30).evidence).toContain("does not parse");
    expect(decideCertificates(certs.issuerPem!, "", days(1), 30).evidence).toContain("holds no certificate");
  });
});

describe("verify: Bookinfo meshed", () => {
  it("passes when every Bookinfo pod, traffic generator included, has a ready linkerd-proxy", () => {
    expect(decideMeshed(podsOf(healthyPods.bookinfo))).toMatchObject({ ok: true, evidence: "7 pods of 7 deployments each with a ready linkerd-proxy" });
  });
  it("fails on a pod started without a proxy (injector was down)", () => {
    expect(decideMeshed(podsOf(pods["bookinfo-one-unmeshed"])).evidence).toContain("details-v1-7d4d9d5fcb-r8t2w has no linkerd-proxy (1/1");
  });
  it("fails on a proxy that is not ready, and on a deployment without pods", () => {
    expect(decideMeshed(podsOf(pods["bookinfo-proxy-not-ready"])).evidence).toContain("reviews-v1-86896b7648-x7k2p linkerd-proxy not ready");
    expect(decideMeshed(podsOf(pods["bookinfo-generator-missing"])).evidence).toContain("no pods for traffic-generator");
  });
});

describe("verify: mTLS per edge", () => {
  it("passes when every expected edge has traffic and all of it is TLS", () => {
    const d = decideMtls(vector("mtls-healthy"), expectedEdges(weights));
    expect(d.ok).toBe(true);
    expect(d.evidence).toContain('7/7 expected edges carry traffic, 100 % tls="true"');
  });
  it("fails when an edge carries plaintext, with its share", () => {
    const d = decideMtls(vector("mtls-plaintext-edge"), expectedEdges(weights));
    expect(d.ok).toBe(false);
    expect(d.evidence).toContain("productpage-v1 → details-v1: 4.8 % without TLS");
  });
  it("fails when an expected edge has no traffic (missing series or zero increase)", () => {
    expect(decideMtls(vector("mtls-missing-ratings"), expectedEdges(weights)).evidence).toContain("reviews-v2 → ratings-v1, reviews-v3 → ratings-v1");
    expect(decideMtls(vector("mtls-zero-rate-edge"), expectedEdges(weights)).evidence).toContain("no traffic in 2m on productpage-v1 → reviews-v1");
  });
  it("follows the weights: with reviews-v2 and v3 at 0, ratings traffic is not expected", () => {
    const only = decideMtls(vector("mtls-missing-ratings"), expectedEdges({ v1: 1, v2: 0, v3: 0 }));
    expect(only.ok).toBe(true);
    expect(only.evidence).toContain("also seen, not expected with these weights: productpage-v1 → reviews-v2, productpage-v1 → reviews-v3");
  });
  it("mentions TLS traffic on edges outside the expected set without failing", () => {
    expect(decideMtls(vector("mtls-unexpected-edge"), expectedEdges(weights))).toMatchObject({ ok: true, evidence: expect.stringContaining("reviews-v1 → ratings-v1") });
  });
  it("fails on an empty answer", () => {
    expect(decideMtls(vector("freshness-empty"), expectedEdges(weights)).ok).toBe(false);
  });
});

describe("verify: freshness", () => {
  it("passes when every proxy target's newest sample is within the bound", () => {
    const d = decideFreshness(vector("freshness-healthy"), 10);
    expect(d.ok).toBe(true);
    expect(d.evidence).toBe("8 proxy targets (7 in bookinfo); newest sample 1.2 s old, oldest 4.2 s (bound 10 s)");
  });
  it("fails naming stale targets", () => {
    expect(decideFreshness(vector("freshness-stale"), 10).evidence).toContain("stale: reviews-v2-b7dcd98fb-x7k2p 31.7 s");
  });
  it("fails when no series carries job=linkerd-proxy, pointing at the job relabelling", () => {
    const d = decideFreshness(vector("freshness-empty"), 10);
    expect(d).toMatchObject({ ok: false, evidence: 'no samples for job="linkerd-proxy"' });
    expect(d.remedy).toContain("<namespace>/<monitor>");
  });
  it("fails when no Bookinfo proxy is scraped, and on non-numeric ages", () => {
    expect(decideFreshness(vector("freshness-no-bookinfo"), 10).ok).toBe(false);
    expect(decideFreshness(vector("freshness-nan"), 10).ok).toBe(false);
  });
});

describe("verify: SLO rules and page alerts", () => {
  const r = (k: string) => decode(k, promRules, rules[k]);
  const a = (k: string) => decode(k, promAlerts, alerts[k]);
  it("passes when the project's rule groups are loaded with recording and alerting rules, none in error", () => {
    expect(decideRules(r("healthy")).evidence).toBe("2 group(s) (bookinfo-slo-recording, bookinfo-slo-alerts): 2 recording, 3 alerting, none in error");
  });
  it("fails when the groups are missing, a rule is in error, or no alerts exist", () => {
    expect(decideRules(r("slo-groups-missing")).evidence).toBe("no rule group named bookinfo-slo* among 1 loaded group(s)");
    expect(decideRules(r("rule-in-error")).evidence).toContain("ProductpageLatencyP99: many-to-many matching not allowed");
    expect(decideRules(r("no-alerting-rules")).evidence).toContain("no alerting rules");
  });
  it("passes with no page alert firing, noting pending ones", () => {
    expect(decideAlerts(a("quiet")).ok).toBe(true);
    expect(decideAlerts(a("page-pending"))).toMatchObject({ ok: true, evidence: expect.stringContaining("1 page alert(s) pending") });
  });
  it("fails when a page alert fires, naming it", () => {
    expect(decideAlerts(a("page-firing"))).toMatchObject({ ok: false, evidence: expect.stringContaining("ProductpageErrorBudgetBurnPage{deployment=productpage-v1}") });
  });
});

describe("verify: Grafana dashboards and panels", () => {
  const dash = (v: unknown): GrafanaDashboard => decode("dash", grafanaDashboard, v);
  const all = grafana.dashboards as Record<string, unknown>;
  const found = (override: Record<string, unknown> = {}) => {
    const m = new Map<string, GrafanaDashboard>();
    for (const v of Object.values({ ...all, ...override })) {
      const d = dash(v);
      const key = dashboardKey(d);
      if (key) m.set(key, d);
    }
    return m;
  };
  const datasources = decode("ds", grafanaDatasources, grafana.datasources);

  it("recognises the Linkerd dashboards by provisioned file name or grafana.com id, and no others", () => {
    expect([...found().keys()].sort()).toEqual([...DASHBOARD_KEYS].sort());
    expect(dashboardKey(dash(all["other-k8s"]))).toBeUndefined();
    const byGnet = dash({ ...(all["linkerd-service"] as object), meta: {} });
    expect(dashboardKey(byGnet)).toBe("linkerd-service");
    // Dashboards Linkerd pins but this platform does not ship are not looked for.
    expect(dashboardKey(dash(all["linkerd-route"]))).toBeUndefined();
  });
  it("passes when every shipped dashboard exists with panel queries", () => {
    expect(decideDashboards(found()).ok).toBe(true);
  });
  it("fails naming a missing dashboard and an empty one (failed download)", () => {
    const m = found();
    m.delete("linkerd-service");
    expect(decideDashboards(m).evidence).toBe("missing: linkerd-service (gnetId 15480)");
    expect(decideDashboards(found({ "linkerd-health": grafana["dashboard-health-empty"] })).evidence).toContain("no panel queries (download failed?): linkerd-health");
  });
  it("collects queries from rows and fills template variables as 'All'", () => {
    const q = panelQueries(found().get("linkerd-top-line")!);
    expect(q.map((x) => x.panel)).toEqual(["SUCCESS RATE", "REQUEST VOLUME"]);
    expect(instantiate(q[1]!.expr)).toBe('sum(irate(request_total{namespace=~".*", direction="inbound"}[1m])) by (namespace)');
    expect(instantiate('x{a=~"$a", b="${b}", c=~"[[c]]"}[$__interval]')).toBe('x{a=~".*", b=~".*", c=~".*"}[1m]');
  });
  it("resolves panel datasources as Grafana does, and rejects unwired ones", () => {
    const d = found().get("linkerd-pod")!;
    expect(resolveDatasource("Prometheus", datasources, d)).toBe("prometheus");
    expect(resolveDatasource(undefined, datasources, d)).toBe("prometheus");
    expect(() => resolveDatasource("${DS_PROMETHEUS}", datasources, d)).toThrow(/never replaced at import/);
    expect(() => resolveDatasource("prometheus-missing", datasources, d)).toThrow(/does not exist in Grafana/);
    expect(() => resolveDatasource("$datasource", datasources, d)).toThrow(VerifyError);
  });
  it("checks every data panel, rows' nested ones included, as Grafana renders it after migration", () => {
    const panels = dataPanels(found().get("linkerd-top-line")!);
    expect(panels.map((p) => [p.title, p.storedType, p.type])).toEqual([
      ["SUCCESS RATE", "singlestat", "stat"],
      ["REQUEST VOLUME", "graph", "timeseries"],
    ]);
    expect(migratedPanelType({ type: "graph", xaxis: { mode: "series" } })).toBe("barchart");
    expect(migratedPanelType({ type: "graph", xaxis: { mode: "histogram" } })).toBe("histogram");
    expect(migratedPanelType({ type: "table-old" })).toBe("table");
    expect(migratedPanelType({ type: "grafana-clock-panel" })).toBeUndefined();
  });

  it("finds a migration for every panel type of every shipped Linkerd dashboard (recorded from the dashboards at the pinned tag)", () => {
    const recorded = JSON.parse(readFileSync(path.join(dir, "linkerd-dashboard-panel-types.json"), "utf8")) as { dashboards: Record<string, Record<string, number>> };
    expect(Object.keys(recorded.dashboards).sort()).toEqual([...DASHBOARD_KEYS].sort());
    for (const [key, types] of Object.entries(recorded.dashboards)) {
      for (const t of Object.keys(types)) {
        const m = /^graph\(xaxis\.mode=(\w+)\)$/.exec(t);
        const panel = m ? { type: "graph", xaxis: { mode: m[1] } } : { type: t };
        expect([key, t, migratedPanelType(panel)]).toEqual([key, t, expect.any(String)]);
      }
    }
  });

  it("passes only when every panel of every dashboard shows data; fails naming each empty or unrenderable panel", () => {
    const ok = (panel: string, series: number) => ({ panel, storedType: "graph", type: "timeseries", attempts: [{ panel, expr: "x", series }] });
    expect(decidePanels(new Map([["linkerd-pod", [ok("SUCCESS RATE", 1), ok("LATENCY", 2)]]])).ok).toBe(true);
    const d = decidePanels(
      new Map([
        [
          "linkerd-pod",
          [
            ok("SUCCESS RATE", 1),
            { panel: "B", storedType: "graph", type: "timeseries", attempts: [{ panel: "B", expr: "x", series: 0 }, { panel: "B", expr: "y", error: "Grafana /api/datasources/proxy: HTTP 502" }] },
          ],
        ],
        ["linkerd-service", [ok("A", 3), { panel: "CLOCK", storedType: "grafana-clock-panel", type: undefined, attempts: [] }]],
      ]),
    );
    expect(d).toMatchObject({ ok: false });
    expect(d.evidence).toContain('linkerd-pod: "B" (timeseries) shows no data (Grafana /api/datasources/proxy: HTTP 502)');
    expect(d.evidence).toContain('linkerd-service: "CLOCK" (grafana-clock-panel) has no migration in Grafana without Angular');
    // A failure-only panel (Linkerd's TCP CONNECTION FAILURES) is empty on a healthy cluster: it passes when
    // the same series without the failure matcher exist, and only then.
    const failures = (healthyEmpty: boolean) => ({ panel: "TCP CONNECTION FAILURES", storedType: "graph", type: "timeseries", attempts: [{ panel: "F", expr: "x", series: 0, healthyEmpty }] });
    expect(decidePanels(new Map([["linkerd-pod", [ok("A", 1), failures(true)]]])).ok).toBe(true);
    expect(decidePanels(new Map([["linkerd-pod", [ok("A", 1), failures(false)]]])).ok).toBe(false);
    expect(withoutFailureOnlyMatchers('tcp_close_total{namespace=~".*", direction="inbound",errno!=""}')).toBe('tcp_close_total{namespace=~".*", direction="inbound"}');
    expect(withoutFailureOnlyMatchers('sum(irate(response_total{classification="failure", namespace=~".*"}[1m]))')).toBe('sum(irate(response_total{namespace=~".*"}[1m]))');
    expect(withoutFailureOnlyMatchers('sum(irate(response_total{classification="success"}[1m]))')).toBeUndefined();
    // One empty panel among many fails its dashboard: a dashboard is not "fine" because its first panel is.
    expect(decidePanels(new Map([["linkerd-pod", [ok("A", 1), ok("B", 0)]]])).ok).toBe(false);
    expect(decidePanels(new Map()).ok).toBe(false);
  });
});

describe("verify: productpage", () => {
  const html = (f: string) => readFileSync(path.join(dir, f), "utf8");
  it("passes on 200 with the reviews section, naming the reviews pod that served it", () => {
    expect(decideProductpage(200, html("productpage.html"))).toMatchObject({ ok: true, evidence: expect.stringContaining("served by reviews-v2-b7dcd98fb-x7k2p") });
  });
  it("fails when the page says reviews are unavailable, on other statuses, and on a page that is not productpage", () => {
    expect(decideProductpage(200, html("productpage-reviews-failed.html")).evidence).toContain("reviews failed");
    expect(decideProductpage(503, "no healthy upstream").ok).toBe(false);
    expect(decideProductpage(200, "<html>hello</html>").evidence).toContain('no "Book Reviews" section');
  });
});

describe("verify: malformed answers", () => {
  it("reports the path of what is missing instead of passing", () => {
    expect(() => decode("Prometheus query up", promVector, prom["malformed-matrix"])).toThrow(/Prometheus query up: malformed answer at data.resultType/);
    expect(() => decode("GET /api/v1/nodes", nodeList, { kind: "NodeList" })).toThrow(/malformed answer at items/);
  });
});
