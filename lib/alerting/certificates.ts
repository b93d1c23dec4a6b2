/**
 * Certificate expiry alerts: one rule group of its own, deployed with
 * kube-prometheus-stack (`additionalPrometheusRulesMap`) and handed to
 * promtool by the tests.
 *
 * Every expiry comes from the file the control plane's k8s-cert-renewal
 * timer writes for node-exporter's textfile collector (lib/certificates.ts
 * says which certificate is read where). Besides the expiry itself the group
 * alerts when that file goes stale or a certificate the platform needs is
 * missing from it, so a broken timer cannot silence the expiry alerts.
 *
 * Thresholds: a ticket 30 days before expiry and a page 7 days before for
 * the certificates that live a year or more (kubeadm's, the CAs, Linkerd's).
 * The Terraform admin certificate lives days (stacks/cluster/settings.ts):
 * it gets one ticket ADMIN_CERT_TICKET_HOURS before it expires. Nothing
 * running depends on it (only the next deploy or diff does), so it never pages.
 */
import type { AlertingRule, RuleGroup } from "./slo";
import { SEVERITY } from "./slo";
import {
  ADMIN_CERT_TICKET_HOURS,
  CERT_ALERT_DAYS,
  CERT_EXPIRY_METRIC,
  CERT_EXPIRY_STALE_HOURS,
  CERT_OWNERS,
  CERT_RENEW_BEFORE_DAYS,
  NODE_EXPORTER_TEXTFILE,
  REQUIRED_CERTIFICATES,
} from "../certificates";

/** The rule group's name (and the key of the chart's additionalPrometheusRulesMap). */
export const CERT_RULE_GROUP = "certificate-expiry";

export const CERT_ALERTS = {
  ticket: `CertificateExpiresIn${CERT_ALERT_DAYS.ticket}Days`,
  page: `CertificateExpiresIn${CERT_ALERT_DAYS.page}Days`,
  terraformAdmin: "TerraformAdminCertificateExpiring",
  stale: "CertificateExpiryDataStale",
  missing: "CertificateExpiryMissing",
} as const;

const DAY = 86400;

/** What to do, per owner: the alert's description ends with it. */
const REMEDY: Record<string, string> = {
  [CERT_OWNERS.kubeadm]:
    `k8s-cert-renewal.timer renews kubeadm's certificates ${CERT_RENEW_BEFORE_DAYS} days before they expire and has not: ` +
    "on the control plane read `journalctl -u k8s-cert-renewal`, then run `systemctl start k8s-cert-renewal` (docs/cluster.md, Certificates).",
  [CERT_OWNERS.clusterCa]:
    "kubeadm cannot renew a CA: plan the move to a new cluster, or a manual CA rotation (docs/cluster.md, Certificates).",
  [CERT_OWNERS.linkerd]:
    "The issuer is re-issued by any platform deploy in its last platform.linkerd.issuerEarlyRenewalHours: deploy the platform stack. " +
    "The trust anchor never renews on its own: rotate it as docs/platform.md describes.",
};

/** The series whose file this group reads (the `file` label is the path in node-exporter's view, or the bare name in older versions). */
const TEXTFILE_SELECTOR = `file=~"(.*/)?${NODE_EXPORTER_TEXTFILE.fileName.replace(/\./g, "\\\\.")}"`;

function expiryAlert(owner: string, days: number, alert: string, severity: string): AlertingRule {
  return {
    alert,
    expr: `${CERT_EXPIRY_METRIC}{owner="${owner}"} - time() < ${days * DAY}`,
    for: "1h",
    // The owner is also a static label: promtool refuses two rules with one name and equal labels.
    labels: { severity, owner },
    annotations: {
      summary: `Certificate {{ $labels.certificate }} (${owner}) expires in less than ${days} days`,
      description: `{{ $labels.certificate }} expires in {{ $value | humanizeDuration }}. ${REMEDY[owner]}`,
    },
  };
}

export function certificateRuleGroups(): RuleGroup[] {
  const yearly = [CERT_OWNERS.kubeadm, CERT_OWNERS.clusterCa, CERT_OWNERS.linkerd];
  const required = [...REQUIRED_CERTIFICATES.kubeadm, ...REQUIRED_CERTIFICATES.terraformAdmin, ...REQUIRED_CERTIFICATES.linkerd];
  const rules: AlertingRule[] = [
    ...yearly.map((o) => expiryAlert(o, CERT_ALERT_DAYS.ticket, CERT_ALERTS.ticket, SEVERITY.ticket)),
    ...yearly.map((o) => expiryAlert(o, CERT_ALERT_DAYS.page, CERT_ALERTS.page, SEVERITY.page)),
    {
      alert: CERT_ALERTS.terraformAdmin,
      expr: `${CERT_EXPIRY_METRIC}{owner="${CERT_OWNERS.terraformAdmin}"} - time() < ${ADMIN_CERT_TICKET_HOURS * 3600}`,
      for: "10m",
      labels: { severity: SEVERITY.ticket },
      annotations: {
        summary: `The Terraform admin certificate expires in less than ${ADMIN_CERT_TICKET_HOURS} hours`,
        description:
          "It expires in {{ $value | humanizeDuration }}; after that no stack can plan or deploy with it. " +
          "Deploy the cluster stack (`npx cdktf deploy cluster`), which issues a new one (docs/cluster.md, Admin identity).",
      },
    },
    {
      alert: CERT_ALERTS.stale,
      expr:
        `time() - node_textfile_mtime_seconds{${TEXTFILE_SELECTOR}} > ${CERT_EXPIRY_STALE_HOURS * 3600}` +
        ` or node_textfile_scrape_error == 1`,
      for: "30m",
      labels: { severity: SEVERITY.ticket },
      annotations: {
        summary: "Certificate expiry data is stale: the expiry alerts are blind",
        description:
          `${NODE_EXPORTER_TEXTFILE.fileName} on {{ $labels.instance }} was not rewritten for ${CERT_EXPIRY_STALE_HOURS} hours, or node-exporter cannot read its textfile folder. ` +
          "On the control plane: `systemctl status k8s-cert-renewal.timer` and `journalctl -u k8s-cert-renewal`.",
      },
    },
    ...required.map((certificate) => ({
      alert: CERT_ALERTS.missing,
      expr: `absent(${CERT_EXPIRY_METRIC}{certificate="${certificate}"})`,
      for: "2h",
      labels: { severity: SEVERITY.ticket, certificate },
      annotations: {
        summary: `No expiry known for certificate ${certificate}`,
        description:
          `k8s-cert-renewal on the control plane does not report ${certificate}: its expiry goes unwatched. ` +
          "`journalctl -u k8s-cert-renewal` says what it could not read.",
      },
    })),
  ];
  return [{ name: CERT_RULE_GROUP, interval: "1m", rules }];
}
