/**
 * etcd backup alerts: one rule group of their own, deployed with
 * kube-prometheus-stack (`additionalPrometheusRulesMap`) when backups are on,
 * and handed to promtool by the tests.
 *
 * They read the time of the last snapshot that was checked and uploaded,
 * which the control plane's backup helper writes for node-exporter's textfile
 * collector (lib/backups.ts); a failed run leaves it unchanged, so a failing
 * or stopped timer shows as a snapshot growing old:
 * - a ticket when the newest snapshot is older than three backup intervals;
 * - a page when it is older than a day (or than the ticket's age, for
 *   intervals above 8 hours: a healthy daily timer's snapshot is a day old
 *   right before the next one);
 * - the same two when no success has been recorded at all for that long
 *   (the control plane's first snapshot comes ETCD_FIRST_BACKUP_MINUTES after
 *   boot; a node-exporter that cannot read the folder looks the same).
 */
import type { Config } from "../config";
import type { AlertingRule, RuleGroup } from "./slo";
import { SEVERITY } from "./slo";
import { BACKUP_PAGE_SECONDS, BACKUP_TICKET_INTERVALS, ETCD_BACKUP_METRICS } from "../backups";

/** The rule group's name (and the key of the chart's additionalPrometheusRulesMap). */
export const BACKUP_RULE_GROUP = "etcd-backup";

export const BACKUP_ALERTS = {
  ticket: "EtcdBackupOverdue",
  page: "EtcdBackupStale",
} as const;

/** How long the age must hold before an alert fires (one missed scrape is no failure). */
export const BACKUP_ALERT_FOR = "5m";

const REMEDY =
  "On the control plane (Session Manager): `systemctl list-timers k8s-etcd-backup.timer`, `journalctl -u k8s-etcd-backup`, " +
  "then `systemctl start k8s-etcd-backup` (docs/data-safety-cluster.md).";

/** `3h`, `1d`, `90m` for an annotation. */
function human(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${Math.round(seconds / 60)}m`;
}

export function etcdBackupRuleGroups(config: Pick<Config, "cluster">): RuleGroup[] {
  const interval = config.cluster.etcdBackup.intervalMinutes * 60;
  const ticketAge = BACKUP_TICKET_INTERVALS * interval;
  const pageAge = Math.max(BACKUP_PAGE_SECONDS, ticketAge);
  const metric = ETCD_BACKUP_METRICS.lastSuccess;
  const stale = (age: number, alert: string, severity: string): AlertingRule => ({
    alert,
    expr: `time() - max(${metric}) > ${age}`,
    for: BACKUP_ALERT_FOR,
    labels: { severity },
    annotations: {
      summary: `The newest etcd snapshot is older than ${human(age)}`,
      description: `The last etcd snapshot that was checked and uploaded was taken {{ $value | humanizeDuration }} ago. ${REMEDY}`,
    },
  });
  // No success recorded at all: `for` counts from when the series went missing (or Prometheus started).
  const never = (age: number, alert: string, severity: string): AlertingRule => ({
    alert,
    expr: `absent(${metric})`,
    for: human(age),
    labels: { severity, reason: "no-success-recorded" },
    annotations: {
      summary: `No etcd snapshot has been recorded as uploaded for ${human(age)}`,
      description: `node-exporter exports no ${metric}: no backup succeeded since the control plane booted, or node-exporter cannot read its textfile folder. ${REMEDY}`,
    },
  });
  const rules: AlertingRule[] = [
    stale(ticketAge, BACKUP_ALERTS.ticket, SEVERITY.ticket),
    stale(pageAge, BACKUP_ALERTS.page, SEVERITY.page),
    never(ticketAge, BACKUP_ALERTS.ticket, SEVERITY.ticket),
    never(pageAge, BACKUP_ALERTS.page, SEVERITY.page),
  ];
  return [{ name: BACKUP_RULE_GROUP, interval: "1m", rules }];
}
