/**
 * The etcd backup alerts exactly as the platform stack deploys them
 * (kube-prometheus-stack's additionalPrometheusRulesMap), checked and
 * unit-tested by the real promtool against
 * __tests__/fixtures/backups/etcd-backup-alerts.test.yaml; and the contract
 * with the control plane: the helper writes the gauge the rules read, into
 * the folder node-exporter's textfile collector reads.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { releaseNamed, synthApp } from "./helpers/synth";
import { groupsExpectingToFire, runPromtool } from "./helpers/promtool";
import { itWith, requireTool } from "./helpers/tools";
import { RELEASES, SLO_RULE_GROUP_PREFIX } from "../lib/k8s-names";
import { BACKUP_ALERTS, BACKUP_RULE_GROUP } from "../lib/alerting/backups";
import { CERT_RULE_GROUP } from "../lib/alerting/certificates";
import { ETCD_BACKUP_METRICS, ETCD_BACKUP_TEXTFILE } from "../lib/backups";
import { NODE_EXPORTER_TEXTFILE } from "../lib/certificates";
import { etcdBackupScript } from "../stacks/cluster/userdata/bootstrap";
import type { AlertingRule, RuleGroup } from "../lib/alerting/slo";

const FIXTURE = path.join(__dirname, "fixtures", "backups", "etcd-backup-alerts.test.yaml");
const RULES_FILE = "etcd-backup-rules.yaml";

interface Values {
  additionalPrometheusRulesMap?: Record<string, { groups: RuleGroup[] }>;
  "prometheus-node-exporter"?: { extraArgs?: string[] };
}

function valuesOf(context: unknown): Values {
  const release = releaseNamed(synthApp(context).stack("platform"), RELEASES.kubePrometheusStack);
  return parse((release.body.values as string[])[0] as string) as Values;
}

const app = synthApp({});
const values = valuesOf({});
const groups = values.additionalPrometheusRulesMap?.[BACKUP_RULE_GROUP]?.groups ?? [];

/** A folder with the rules and the fixture (or, for a "can fail" check, the fixture's groups that can see the defect). */
function workdir(rules: RuleGroup[], fixture?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "backup-rules-"));
  writeFileSync(path.join(dir, RULES_FILE), stringify({ groups: rules }));
  if (fixture === undefined) copyFileSync(FIXTURE, path.join(dir, "backups.test.yaml"));
  else writeFileSync(path.join(dir, "backups.test.yaml"), fixture);
  return dir;
}

describe("etcd backup alerts as deployed", () => {
  it("are one group of their own, next to the certificate group and apart from the SLO rules", () => {
    expect(groups.map((g) => g.name)).toEqual([BACKUP_RULE_GROUP]);
    expect(Object.keys(values.additionalPrometheusRulesMap ?? {}).sort()).toEqual([BACKUP_RULE_GROUP, CERT_RULE_GROUP].sort());
    expect(BACKUP_RULE_GROUP.startsWith(SLO_RULE_GROUP_PREFIX)).toBe(false);
  });

  it("are left out when backups are off", () => {
    const off = valuesOf({ cluster: { etcdBackup: { enabled: false } } });
    expect(off.additionalPrometheusRulesMap?.[BACKUP_RULE_GROUP]).toBeUndefined();
  });

  it("ticket at three intervals and page at a day, following the configured interval", () => {
    const rules = groups.flatMap((g) => g.rules) as AlertingRule[];
    const age = (alert: string) => rules.find((r) => r.alert === alert && r.expr.startsWith("time()"))?.expr;
    expect(age(BACKUP_ALERTS.ticket)).toBe(`time() - max(${ETCD_BACKUP_METRICS.lastSuccess}) > ${3 * app.config.cluster.etcdBackup.intervalMinutes * 60}`);
    expect(age(BACKUP_ALERTS.page)).toBe(`time() - max(${ETCD_BACKUP_METRICS.lastSuccess}) > 86400`);
    const every20 = valuesOf({ cluster: { etcdBackup: { intervalMinutes: 20 } } }).additionalPrometheusRulesMap?.[BACKUP_RULE_GROUP]?.groups ?? [];
    expect(JSON.stringify(every20)).toContain("> 3600");
  });

  it("read the gauge the control plane's helper writes, from the folder node-exporter collects", () => {
    const script = etcdBackupScript(app.config);
    expect(script).toContain(`readonly METRIC_LAST_SUCCESS='${ETCD_BACKUP_METRICS.lastSuccess}'`);
    expect(script).toContain(`readonly TEXTFILE_DIR='${NODE_EXPORTER_TEXTFILE.hostDir}'`);
    expect(script).toContain(`readonly TEXTFILE_NAME='${ETCD_BACKUP_TEXTFILE}'`);
    expect(ETCD_BACKUP_TEXTFILE.endsWith(".prom")).toBe(true);
    expect(values["prometheus-node-exporter"]?.extraArgs).toContain(`--collector.textfile.directory=${NODE_EXPORTER_TEXTFILE.containerRoot}${NODE_EXPORTER_TEXTFILE.hostDir}`);
  });
});

describe("etcd backup alerts under promtool", () => {
  const promtool = requireTool("promtool", "prometheus");

  itWith(promtool)("pass promtool check rules", () => {
    const { code, out } = runPromtool(promtool as string, ["check", "rules", RULES_FILE], workdir(groups));
    expect(out).toContain("SUCCESS");
    expect(code).toBe(0);
  });

  itWith(promtool)("pass the unit tests: silent while hourly snapshots succeed, ticket 3h and page 1d after the last success, the same with none at all", () => {
    const { code, out } = runPromtool(promtool as string, ["test", "rules", "backups.test.yaml"], workdir(groups));
    expect(out).toContain("SUCCESS");
    expect(code).toBe(0);
  });

  itWith(promtool)("fail the unit tests when the ticket waits four intervals (the tests can fail)", () => {
    const broken = groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => ("alert" in r && r.alert === BACKUP_ALERTS.ticket ? { ...r, expr: r.expr.replace("> 10800", "> 14400") } : r)),
    }));
    // Only the groups that expect the ticket to fire can see it fire late.
    const { code, out } = runPromtool(promtool as string, ["test", "rules", "backups.test.yaml"], workdir(broken, groupsExpectingToFire(readFileSync(FIXTURE, "utf8"), BACKUP_ALERTS.ticket)));
    expect(code).not.toBe(0);
    expect(out).toContain(`alertname: ${BACKUP_ALERTS.ticket},`);
  });

  it("reads the fixture the rules are tested with", () => {
    expect(readFileSync(FIXTURE, "utf8")).toContain(`rule_files: [${RULES_FILE}]`);
  });
});
