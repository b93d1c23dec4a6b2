/**
 * Facts that come from upstream, asserted against literals recorded with
 * their source (never against the module that uses them), and settings whose
 * value a test must not take from the code it tests.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { releaseNamed, resourcesOf, synthApp } from "./helpers/synth";

const upstream = (file: string) => JSON.parse(readFileSync(path.join(__dirname, "fixtures", "upstream", file), "utf8"));
/** Linkerd stable-2.14.10's grafana/values.yaml, dashboards.default (source and commit in the file). */
const LINKERD_GRAFANA = upstream("linkerd-stable-2.14.10-grafana-dashboards.json") as {
  source: string;
  dashboards: Record<string, { gnetId: number; revision: number }>;
};

const app = synthApp();
const platform = app.stack("platform");
type Values = Record<string, any>;
const valuesOf = (release: string): Values => parse(String((releaseNamed(platform, release).body.values as string[])[0])) as Values;

describe("Grafana dashboards at the revisions Linkerd stable-2.14.10 pins", () => {
  const provisioned = Object.values(valuesOf("kube-prometheus-stack").grafana.dashboards as Record<string, Record<string, { gnetId: number; revision: number }>>).flatMap((p) => Object.values(p));
  const pinned = new Map(Object.values(LINKERD_GRAFANA.dashboards).map((d) => [d.gnetId, d.revision]));

  it("records the upstream file it compares with", () => {
    expect(LINKERD_GRAFANA.source).toContain("linkerd2/blob/stable-2.14.10/grafana/values.yaml");
    expect(pinned.size).toBeGreaterThanOrEqual(9);
  });

  it("provisions only Linkerd's dashboards, each at the revision Linkerd pins (a download of another revision differs)", () => {
    expect(provisioned.length).toBeGreaterThanOrEqual(5);
    for (const d of provisioned) expect({ gnetId: d.gnetId, revision: d.revision }).toEqual({ gnetId: d.gnetId, revision: pinned.get(d.gnetId) });
  });
});

describe("Helm releases wait for their hook Jobs", () => {
  it("every release waits for its resources and its Jobs (kube-prometheus-stack's admission-webhook patch Jobs must finish before anything uses the webhook)", () => {
    const releases = [...Object.entries(resourcesOf(platform, "helm_release")), ...Object.entries(resourcesOf(app.stack("apps"), "helm_release"))];
    expect(releases.length).toBeGreaterThanOrEqual(5);
    for (const [id, r] of releases) expect({ id, wait: r.wait, wait_for_jobs: r.wait_for_jobs }).toEqual({ id, wait: true, wait_for_jobs: true });
  });
});

describe("scrape intervals as synthesized", () => {
  const custom = synthApp({ platform: { monitoring: { scrapeInterval: "45s", meshScrapeInterval: "2s" } } }).stack("platform");
  const spec = (stack: typeof platform) =>
    (parse(String((releaseNamed(stack, "kube-prometheus-stack").body.values as string[])[0])) as Values).prometheus.prometheusSpec as Values;

  it("Prometheus' global interval is the configured global one (45s here), never the mesh's", () => {
    expect(spec(custom).scrapeInterval).toBe("45s");
  });

  it("the mesh's scrape jobs use the mesh interval (2s here)", () => {
    const jobs = spec(custom).additionalScrapeConfigs as Array<{ job_name: string; scrape_interval: string }>;
    expect(jobs.length).toBeGreaterThan(0);
    for (const j of jobs) expect({ job: j.job_name, interval: j.scrape_interval }).toEqual({ job: j.job_name, interval: "2s" });
  });

  it("with the defaults: 30s global, 5s for the mesh (README's configuration table)", () => {
    expect(spec(platform).scrapeInterval).toBe("30s");
    for (const j of spec(platform).additionalScrapeConfigs as Array<{ scrape_interval: string }>) expect(j.scrape_interval).toBe("5s");
  });
});

describe("stack order for `cdktf deploy '*'`", () => {
  it("each stack depends on the one before it: network → cluster → platform → apps (apps also reads the cluster)", () => {
    const deps = Object.fromEntries(Object.entries(app.stacks).map(([name, s]) => [name, (s as unknown as { dependencies: Array<{ node: { id: string } }> }).dependencies.map((d) => d.node.id).sort()]));
    expect(deps).toEqual({ network: [], cluster: ["network"], platform: ["cluster"], apps: ["cluster", "platform"] });
  });

  it("apps waits for the platform whatever the tracing setting (the Linkerd namespace comes from the platform's outputs)", () => {
    const off = synthApp({ platform: { tracing: { enabled: false } } });
    expect((off.stacks.apps as unknown as { dependencies: Array<{ node: { id: string } }> }).dependencies.map((d) => d.node.id)).toContain("platform");
  });
});
