/**
 * The SLO rules exactly as the apps stack deploys them, checked and
 * unit-tested by the real promtool. The rules are taken from the synthesized
 * PrometheusRule, written to a temp dir as `bookinfo-slo-rules.yaml`, and the
 * promtool test files in __tests__/fixtures/alerting/ load that file.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { resourcesOf, synthApp, type SynthesizedStack } from "./helpers/synth";
import { groupsChangedBy, runPromtool, startPromtool } from "./helpers/promtool";
import { itWith, requireTool } from "./helpers/tools";
import { ALERTS, BURN_RATE_ALERTS, LOOKBACK, RECORDS, SEVERITY, errorBudget, sloRuleGroups, type AlertingRule, type RuleGroup } from "../lib/alerting/slo";
import { SLO_RULE_GROUP_PREFIX, RELEASES } from "../lib/k8s-names";
import { expectedEdges } from "../lib/bookinfo-graph";
import { durationSeconds } from "../lib/config";
import { appsGraph } from "../stacks/apps/apps-stack";
import { allScenarios } from "../scripts/detection-table";

const FIXTURES = path.join(__dirname, "fixtures", "alerting");
const RULES_FILE = "bookinfo-slo-rules.yaml";

interface PrometheusRuleObject {
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { groups: RuleGroup[] };
}

function prometheusRules(stack: SynthesizedStack): PrometheusRuleObject[] {
  return Object.values(resourcesOf(stack, "kubernetes_manifest"))
    .map((r) => r.manifest as PrometheusRuleObject)
    .filter((m) => m.kind === "PrometheusRule");
}

function alerts(groups: RuleGroup[]): AlertingRule[] {
  return groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => "alert" in r);
}

const app = synthApp({});
const [rule] = prometheusRules(app.stack("apps"));

describe("SLO PrometheusRule", () => {
  it("is one PrometheusRule labelled for kube-prometheus-stack, with every group named after the SLO prefix", () => {
    expect(prometheusRules(app.stack("apps"))).toHaveLength(1);
    expect(rule?.metadata.labels.release).toBe(RELEASES.kubePrometheusStack);
    for (const g of rule?.spec.groups ?? []) expect(g.name.startsWith(`${SLO_RULE_GROUP_PREFIX}-`)).toBe(true);
  });

  it("pages on 1h/5m at 14.4x and 6h/30m at 6x, tickets on 3d/6h at 1x, of the configured SLO's budget", () => {
    const budget = errorBudget(app.config.alerting.availabilitySlo);
    const byName = new Map(alerts(rule?.spec.groups ?? []).map((a) => [a.alert, a]));
    const expected = [
      ["1h", "5m", 14.4, SEVERITY.page],
      ["6h", "30m", 6, SEVERITY.page],
      ["3d", "6h", 1, SEVERITY.ticket],
    ] as const;
    expect(BURN_RATE_ALERTS.map((b) => [b.long, b.short, b.factor, b.severity])).toEqual(expected);
    for (const b of BURN_RATE_ALERTS) {
      const a = byName.get(b.alert);
      const t = Number((b.factor * budget).toPrecision(6));
      expect(a?.expr).toContain(`${RECORDS.callerErrorRatio(b.long)} > ${t}`);
      expect(a?.expr).toContain(`${RECORDS.callerErrorRatio(b.short)} > ${t}`);
      expect(a?.labels.severity).toBe(b.severity);
    }
  });

  it("follows the configured SLO and latency threshold", () => {
    const other = synthApp({ alerting: { availabilitySlo: 0.99, latencyP99ThresholdMs: 250 } });
    const [r] = prometheusRules(other.stack("apps"));
    const all = alerts(r?.spec.groups ?? []);
    expect(all.find((a) => a.alert === BURN_RATE_ALERTS[0].alert)?.expr).toContain("> 0.144");
    expect(all.find((a) => a.alert === ALERTS.latency)?.expr).toMatch(/> 250\)\n/);
  });

  it("expects traffic on exactly the edges the reviews weights use", () => {
    const edgesOf = (groups: RuleGroup[]) =>
      alerts(groups)
        .filter((a) => a.alert === ALERTS.edge)
        .map((a) => `${a.labels.source_deployment} → ${a.labels.destination_deployment}`)
        .sort();
    const fmt = (w: Record<string, number>) => expectedEdges(w).map((e) => `${e.from} → ${e.to}`).sort();
    expect(edgesOf(rule?.spec.groups ?? [])).toEqual(fmt(app.config.apps.reviewsWeights));
    const v1only = synthApp({ apps: { reviewsWeights: { v1: 1, v2: 0, v3: 0 } } });
    const [r] = prometheusRules(v1only.stack("apps"));
    expect(edgesOf(r?.spec.groups ?? [])).toEqual(fmt({ v1: 1, v2: 0, v3: 0 }));
    expect(edgesOf(r?.spec.groups ?? []).some((e) => e.includes("ratings"))).toBe(false);
    // Missing-replica alerts cover the same live deployments.
    const replicas = alerts(r?.spec.groups ?? []).filter((a) => a.alert === ALERTS.replicas).map((a) => a.labels.deployment);
    expect(replicas).not.toContain("reviews-v2");
    expect(replicas).toContain("productpage-v1");
  });
});

describe("SLO rule evaluation", () => {
  it("evaluates every group at most every half lookback (Prometheus 3's left-open lookback never loses a recorded series)", () => {
    const groups = rule?.spec.groups ?? [];
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect([g.name, durationSeconds(g.interval)]).toEqual([g.name, expect.any(Number)]);
    const tooSlow = groups.filter((g) => durationSeconds(g.interval) > durationSeconds(LOOKBACK) / 2).map((g) => `${g.name} every ${g.interval}`);
    expect(tooSlow).toEqual([]);
  });

  it("refuses a caller of productpage that calls anything else (its proxy errors carry no destination)", () => {
    const graph = appsGraph(app.config);
    const broken = { ...graph, callEdges: [...graph.callEdges, { from: "traffic-generator", to: "details-v1" }] };
    expect(() => sloRuleGroups(app.config, broken)).toThrow(/traffic-generator → details-v1: a caller of productpage-v1 calls something else/);
  });

  it("counts denials only for the callers' mesh identities, and never the admin port's traffic", () => {
    const text = JSON.stringify(rule?.spec.groups ?? []);
    expect(text).toContain('client_id=~\\"traffic-generator\\\\\\\\.bookinfo');
    const inboundReads = (rule?.spec.groups ?? []).flatMap((g) => g.rules).filter((r) => /direction="inbound"|inbound_http_authz_deny_total/.test(r.expr));
    expect(inboundReads.length).toBeGreaterThan(0);
    for (const r of inboundReads) {
      const selectors = [...r.expr.matchAll(/(?:response_total|response_latency_ms_bucket|inbound_http_authz_deny_total)\{[^}]*direction="inbound"[^}]*\}|inbound_http_authz_deny_total\{[^}]*\}/g)].map((m) => m[0]);
      for (const sel of selectors) expect(sel).toContain('target_port!="4191"');
    }
  });
});

describe("SLO rules under promtool", () => {
  const promtool = requireTool("promtool", "prometheus");
  const dir = mkdtempSync(path.join(tmpdir(), "slo-rules-"));
  writeFileSync(path.join(dir, RULES_FILE), stringify({ groups: rule?.spec.groups ?? [] }));
  const tests = readdirSync(FIXTURES).filter((f) => f.endsWith(".test.yaml")).sort();
  for (const t of tests) copyFileSync(path.join(FIXTURES, t), path.join(dir, t));

  itWith(promtool)("passes promtool check rules", () => {
    const { code, out } = runPromtool(promtool as string, ["check", "rules", RULES_FILE], dir);
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
    expect(code).toBe(0);
  });

  itWith(promtool)("passes every promtool unit test (detection times, silence on small error rates, recorded ratios)", async () => {
    expect(tests).toEqual(
      expect.arrayContaining([
        "failure-modes.test.yaml",
        "first-deploy.test.yaml",
        "error-rates.test.yaml",
        "stale-metrics.test.yaml",
        "recording-rules.test.yaml",
        "traffic-edges.test.yaml",
      ]),
    );
    // One promtool per file, in parallel: the whole set takes as long as the slowest file.
    const results = await Promise.all(tests.map((t) => startPromtool(promtool as string, ["test", "rules", t], dir)));
    const failed = results.filter((r) => r.code !== 0);
    if (failed.length > 0) throw new Error(failed.map((r) => r.out).join("\n"));
    for (const r of results) expect(r.out).toContain("SUCCESS");
  });

  itWith(promtool)("makes promtool fail when a fixture expects the wrong detection time (the tests can fail)", () => {
    const original = readFileSync(path.join(dir, "failure-modes.test.yaml"), "utf8");
    const broken = original.replace("- eval_time: 61m\n", "- eval_time: 60m\n").replace("- eval_time: 61m30s\n", "- eval_time: 61m\n");
    expect(broken).not.toBe(original);
    // Only the test group the edit touched goes to promtool (the full file passed above).
    writeFileSync(path.join(dir, "broken.yaml"), groupsChangedBy(original, broken));
    const { code, out } = runPromtool(promtool as string, ["test", "rules", "broken.yaml"], dir);
    expect(code).not.toBe(0);
    expect(out).toContain("alertname: ProductpageErrorBudgetFastBurn, time: 1h1m,");
  });
});

describe("promtool fixtures", () => {
  const scenarios = allScenarios(FIXTURES);

  it("page every total outage within 5 minutes of its first failed call", () => {
    const outages = scenarios.filter((s) => s.outage);
    expect(outages.length).toBeGreaterThanOrEqual(7);
    const late = outages
      .map((s) => ({ s: s.name, pages: s.detections.filter((d) => d.severity === SEVERITY.page && d.firesAt !== undefined).map((d) => (d.firesAt as number) - s.onset) }))
      .filter((o) => o.pages.length === 0 || Math.min(...o.pages) > 300);
    expect(late).toEqual([]);
  });

  it("expect silence on a healthy first deploy, at every check, for every alert", () => {
    const healthy = scenarios.find((s) => s.name.startsWith("a healthy first deploy"));
    expect(healthy?.detections.map((d) => d.alert).sort()).toEqual(alerts(rule?.spec.groups ?? []).map((a) => a.alert).filter((a, i, all) => all.indexOf(a) === i).sort());
    expect(healthy?.detections.filter((d) => d.firesAt !== undefined)).toEqual([]);
  });

  it("cite, above every input series, the source that says a real system exports it", () => {
    const uncited: string[] = [];
    for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith(".test.yaml"))) {
      const lines = readFileSync(path.join(FIXTURES, f), "utf8").split("\n");
      let cited = false;
      lines.forEach((line, i) => {
        if (/^\s*input_series:/.test(line)) cited = false;
        if (/^\s*#.*(release\/v2\.210\.4|stable-2\.14\.10|kube-state-metrics|stacks\/platform\/mesh-scrape\.ts|linkerd\/app\/)/.test(line)) cited = true;
        if (/^\s*- series:/.test(line) && !cited) uncited.push(`${f}:${i + 1}`);
      });
    }
    expect(uncited).toEqual([]);
  });
});
