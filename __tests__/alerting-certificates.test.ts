/**
 * The certificate expiry alerts exactly as the platform stack deploys them
 * (kube-prometheus-stack's additionalPrometheusRulesMap), checked and
 * unit-tested by the real promtool against
 * __tests__/fixtures/certificates/expiry-alerts.test.yaml; and node-exporter
 * pointed at the folder the control plane writes the expiries to.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { releaseNamed, synthApp } from "./helpers/synth";
import { groupsExpectingToFire, runPromtool } from "./helpers/promtool";
import { itWith, requireTool } from "./helpers/tools";
import { RELEASES } from "../lib/k8s-names";
import { CERT_ALERTS, CERT_RULE_GROUP } from "../lib/alerting/certificates";
import { CERT_EXPIRY_METRIC, NODE_EXPORTER_TEXTFILE, REQUIRED_CERTIFICATES } from "../lib/certificates";
import type { AlertingRule, RuleGroup } from "../lib/alerting/slo";
import { SLO_RULE_GROUP_PREFIX } from "../lib/k8s-names";

const FIXTURE = path.join(__dirname, "fixtures", "certificates", "expiry-alerts.test.yaml");
const RULES_FILE = "certificate-rules.yaml";

interface Values {
  additionalPrometheusRulesMap?: Record<string, { groups: RuleGroup[] }>;
  "prometheus-node-exporter"?: { extraArgs?: string[]; hostRootFsMount?: { enabled?: boolean } };
}

const app = synthApp({});
const release = releaseNamed(app.stack("platform"), RELEASES.kubePrometheusStack);
const values = parse((release.body.values as string[])[0] as string) as Values;
const groups = values.additionalPrometheusRulesMap?.[CERT_RULE_GROUP]?.groups ?? [];

/** A folder with the rules and the fixture (or, for a "can fail" check, the fixture's groups that can see the defect). */
function workdir(rules: RuleGroup[], fixture?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "cert-rules-"));
  writeFileSync(path.join(dir, RULES_FILE), stringify({ groups: rules }));
  if (fixture === undefined) copyFileSync(FIXTURE, path.join(dir, "certificates.test.yaml"));
  else writeFileSync(path.join(dir, "certificates.test.yaml"), fixture);
  return dir;
}

describe("certificate expiry rules as deployed", () => {
  it("are one group of their own, apart from the SLO rules", () => {
    expect(groups.map((g) => g.name)).toEqual([CERT_RULE_GROUP]);
    expect(CERT_RULE_GROUP.startsWith(SLO_RULE_GROUP_PREFIX)).toBe(false);
  });

  it("watch every certificate the platform needs for absence (kubeadm's, the Terraform admin's, Linkerd's two)", () => {
    const rules = groups.flatMap((g) => g.rules) as AlertingRule[];
    const absent = rules.filter((r) => r.alert === CERT_ALERTS.missing).map((r) => r.expr);
    for (const c of [...REQUIRED_CERTIFICATES.kubeadm, ...REQUIRED_CERTIFICATES.terraformAdmin, ...REQUIRED_CERTIFICATES.linkerd]) {
      expect(absent).toContain(`absent(${CERT_EXPIRY_METRIC}{certificate="${c}"})`);
    }
  });

  it("has node-exporter read the folder the control plane writes to, through the chart's host-root mount", () => {
    const ne = values["prometheus-node-exporter"];
    expect(ne?.hostRootFsMount?.enabled).toBe(true);
    expect(ne?.extraArgs).toContain(`--collector.textfile.directory=/host/root${NODE_EXPORTER_TEXTFILE.hostDir}`);
    // The chart's own filesystem filters are kept (setting extraArgs replaces them).
    expect(ne?.extraArgs?.filter((a) => a.startsWith("--collector.filesystem."))).toHaveLength(2);
  });
});

describe("certificate expiry rules under promtool", () => {
  const promtool = requireTool("promtool", "prometheus");

  itWith(promtool)("pass promtool check rules", () => {
    const dir = workdir(groups);
    const { code, out } = runPromtool(promtool as string, ["check", "rules", RULES_FILE], dir);
    expect(out).toContain("SUCCESS");
    expect(out).not.toContain("FAILED");
    expect(code).toBe(0);
  });

  itWith(promtool)("pass the unit tests: ticket at 30 days, page at 7, the admin certificate's ticket, stale data, a missing certificate", () => {
    const dir = workdir(groups);
    const { code, out } = runPromtool(promtool as string, ["test", "rules", "certificates.test.yaml"], dir);
    expect(out).toContain("SUCCESS");
    expect(code).toBe(0);
  });

  itWith(promtool)("fail the unit tests when the page threshold is loosened to 6 days (the tests can fail)", () => {
    const broken = groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => ("alert" in r && r.alert === CERT_ALERTS.page ? { ...r, expr: r.expr.replace(/< \d+$/, "< 518400") } : r)),
    }));
    // Only the groups that expect the page to fire can see it fire late.
    const dir = workdir(broken, groupsExpectingToFire(readFileSync(FIXTURE, "utf8"), CERT_ALERTS.page));
    const { code, out } = runPromtool(promtool as string, ["test", "rules", "certificates.test.yaml"], dir);
    expect(code).not.toBe(0);
    expect(out).toContain("alertname: CertificateExpiresIn7Days,");
  });

  itWith(promtool)("fail the unit tests when the stale-data alert looks at another file", () => {
    const broken = groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => ("alert" in r && r.alert === CERT_ALERTS.stale ? { ...r, expr: r.expr.replace("k8s-certificates", "other") } : r)),
    }));
    const { code, out } = runPromtool(promtool as string, ["test", "rules", "certificates.test.yaml"], workdir(broken, groupsExpectingToFire(readFileSync(FIXTURE, "utf8"), CERT_ALERTS.stale)));
    expect(code).not.toBe(0);
    expect(out).toContain(`alertname: ${CERT_ALERTS.stale},`);
  });

  it("reads the fixture the rules are tested with", () => {
    expect(readFileSync(FIXTURE, "utf8")).toContain(`rule_files: [${RULES_FILE}]`);
  });
});
