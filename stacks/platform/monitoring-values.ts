/**
 * kube-prometheus-stack values: Prometheus (retention, selectors that take
 * every namespace's monitors and rules, the mesh scrape jobs), Grafana
 * (NodePort, Linkerd dashboards), Alertmanager (route tree, webhook Secret)
 * and the Operator's admission-webhook Jobs kept out of the mesh.
 *
 * Secrets (the Grafana admin password) are not in here: they go to Helm as
 * sensitive values (see MONITORING_SENSITIVE_VALUE_PATHS).
 */
import type { Config } from "../../lib/config";
import { PORTS } from "../../lib/ports";
import { GRAFANA_SERVICE_ACCOUNT, MONITORING_SERVICE_PORTS, NAMESPACES } from "../../lib/k8s-names";
import { alertmanagerConfig, ALERTMANAGER_WEBHOOK_SECRET } from "../../lib/alerting/alertmanager";
import { meshScrapeConfigs } from "./mesh-scrape";
import { GRAFANA_PROMETHEUS_DATASOURCE, linkerdDashboardProviders, linkerdDashboards } from "./grafana-dashboards";
import { NO_MESH } from "./privileged-namespace";
import { STORAGE_CLASS } from "../../lib/storage";
import { grafanaJaegerDatasource } from "./tracing";
import { grafanaLokiDatasource } from "./logging";
import { NODE_EXPORTER_TEXTFILE } from "../../lib/certificates";
import { CERT_RULE_GROUP, certificateRuleGroups } from "../../lib/alerting/certificates";
import { BACKUP_RULE_GROUP, etcdBackupRuleGroups } from "../../lib/alerting/backups";

/**
 * node-exporter's arguments. Setting the list replaces the chart's, so its
 * two filesystem filters are restated as kube-prometheus-stack 88.5.3 sets
 * them (charts/kube-prometheus-stack/values.yaml, prometheus-node-exporter.extraArgs),
 * followed by the textfile folder where the control plane's certificate
 * renewal writes its expiries (lib/certificates.ts). The folder is read
 * through the chart's read-only mount of the host's / (hostRootFsMount).
 */
export const NODE_EXPORTER_ARGS = [
  "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/containerd/.+|var/lib/docker/.+|var/lib/kubelet/.+)($|/)",
  "--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs|erofs)$",
  `--collector.textfile.directory=${NODE_EXPORTER_TEXTFILE.containerRoot}${NODE_EXPORTER_TEXTFILE.hostDir}`,
] as const;

/** Value paths of secrets handed to the chart with `set_sensitive`. */
export const MONITORING_SENSITIVE_VALUE_PATHS = {
  grafanaAdminPassword: "grafana.adminPassword",
} as const;

/**
 * The Prometheus selectors that, when true, make Prometheus pick only
 * objects labelled with this release. All false: the apps stack's
 * PrometheusRules and monitors, in any namespace, are loaded too.
 */
export const PROMETHEUS_SELECTORS_NIL_USES_HELM_VALUES = [
  "ruleSelectorNilUsesHelmValues",
  "serviceMonitorSelectorNilUsesHelmValues",
  "podMonitorSelectorNilUsesHelmValues",
  "probeSelectorNilUsesHelmValues",
  "scrapeConfigSelectorNilUsesHelmValues",
] as const;

/**
 * A claim on the platform's StorageClass, as the Prometheus Operator's
 * StorageSpec takes it (`volumeClaimTemplate`).
 */
export function volumeClaimTemplate(sizeGiB: number) {
  return {
    volumeClaimTemplate: {
      spec: {
        storageClassName: STORAGE_CLASS.name,
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: `${sizeGiB}Gi` } },
      },
    },
  };
}

/**
 * What the StatefulSets the Operator creates do with their claims: deleting
 * the Prometheus or Alertmanager (a Helm uninstall) deletes the claims and so
 * the EBS volumes; scaling down keeps them.
 */
export const CLAIM_RETENTION_POLICY = { whenDeleted: "Delete", whenScaled: "Retain" } as const;

/** Grafana datasources besides Prometheus and Alertmanager: Jaeger when tracing is on, Loki when logs are. */
function grafanaDatasources(config: Config) {
  const extra = [
    ...(config.platform.tracing.enabled ? [grafanaJaegerDatasource()] : []),
    ...(config.platform.logs.enabled ? [grafanaLokiDatasource(config)] : []),
  ];
  return extra.length > 0 ? { additionalDataSources: extra } : {};
}

export function kubePrometheusStackValues(config: Config) {
  const { monitoring } = config.platform;
  const selectors = Object.fromEntries(PROMETHEUS_SELECTORS_NIL_USES_HELM_VALUES.map((s) => [s, false]));
  return {
    prometheusOperator: {
      admissionWebhooks: {
        // A proxy in a run-to-completion hook Job keeps it running forever.
        patch: { podAnnotations: { ...NO_MESH } },
      },
    },
    prometheus: {
      prometheusSpec: {
        portName: MONITORING_SERVICE_PORTS.prometheus,
        retention: monitoring.retention,
        retentionSize: monitoring.retentionSize,
        storageSpec: volumeClaimTemplate(monitoring.prometheusVolumeGiB),
        persistentVolumeClaimRetentionPolicy: { ...CLAIM_RETENTION_POLICY },
        scrapeInterval: monitoring.scrapeInterval,
        ...selectors,
        additionalScrapeConfigs: meshScrapeConfigs(config),
      },
    },
    // The chart's node-exporter tolerates every NoSchedule taint, so it runs on the control plane too.
    "prometheus-node-exporter": {
      hostRootFsMount: { enabled: true },
      extraArgs: [...NODE_EXPORTER_ARGS],
    },
    // Certificate expiry and etcd backup alerts: rule groups of their own
    // (lib/alerting/certificates.ts, lib/alerting/backups.ts).
    additionalPrometheusRulesMap: {
      [CERT_RULE_GROUP]: { groups: certificateRuleGroups() },
      ...(config.cluster.etcdBackup.enabled ? { [BACKUP_RULE_GROUP]: { groups: etcdBackupRuleGroups(config) } } : {}),
    },
    alertmanager: {
      config: alertmanagerConfig(config),
      alertmanagerSpec: {
        // The webhook Secret exists only when alerting.webhookEnabled; mounting
        // a missing Secret would keep Alertmanager from starting.
        ...(config.alerting.webhookEnabled ? { secrets: [ALERTMANAGER_WEBHOOK_SECRET.name] } : {}),
        // Silences and the notification log survive a restart.
        storage: volumeClaimTemplate(monitoring.alertmanagerVolumeGiB),
        persistentVolumeClaimRetentionPolicy: { ...CLAIM_RETENTION_POLICY },
      },
    },
    grafana: {
      service: {
        type: "NodePort",
        port: PORTS.grafanaService.port,
        targetPort: PORTS.grafanaHttp.port,
        nodePort: config.nodePorts.grafana,
      },
      // Grafana's database (users, preferences, annotations, dashboards made in
      // the UI) on a volume. The claim is a plain object of the release, so an
      // uninstall deletes it. Dashboards and datasources are not kept there:
      // they are provisioned from these values at every start.
      persistence: {
        enabled: true,
        type: "pvc",
        storageClassName: STORAGE_CLASS.name,
        accessModes: ["ReadWriteOnce"],
        size: `${monitoring.grafanaVolumeGiB}Gi`,
      },
      // A volume attaches to one node at a time: stop the old pod before the new one starts.
      deploymentStrategy: { type: "Recreate" },
      // No Secret for Grafana: the chart's RBAC (which always adds Secrets) is
      // replaced by a Role on ConfigMaps in this namespace (grafana-rbac.ts),
      // and each sidecar loads ConfigMaps from this namespace only (the stack
      // sets searchNamespace ALL and the grafana chart watches "both" kinds by default).
      rbac: { create: false },
      serviceAccount: { create: true, name: GRAFANA_SERVICE_ACCOUNT },
      sidecar: {
        dashboards: { resource: "configmap", searchNamespace: NAMESPACES.monitoring },
        datasources: {
          name: GRAFANA_PROMETHEUS_DATASOURCE.name,
          uid: GRAFANA_PROMETHEUS_DATASOURCE.uid,
          resource: "configmap",
          searchNamespace: NAMESPACES.monitoring,
        },
      },
      // Rendered by the chart into its datasource ConfigMap with the Prometheus one.
      ...grafanaDatasources(config),
      dashboardProviders: linkerdDashboardProviders(),
      dashboards: linkerdDashboards(),
    },
  };
}
