/**
 * The monitoring namespace (not meshed) and kube-prometheus-stack in it,
 * with the Grafana admin password generated here and, when the webhook is
 * enabled, the Alertmanager webhook Secret created before the release that
 * mounts it.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { Password } from "@cdktf/provider-random/lib/password";
import type { RandomProvider } from "@cdktf/provider-random/lib/provider";
import type { Config } from "../../lib/config";
import { CHARTS } from "../../lib/versions";
import { NAMESPACES, RELEASES } from "../../lib/k8s-names";
import { ALERTMANAGER_WEBHOOK_SECRET } from "../../lib/alerting/alertmanager";
import { ChartRelease } from "./helm-release";
import { NO_ADMISSION_WEBHOOKS, NO_MESH, PrivilegedNamespace } from "./privileged-namespace";
import { kubePrometheusStackValues, MONITORING_SENSITIVE_VALUE_PATHS } from "./monitoring-values";
import { GrafanaRbac } from "./grafana-rbac";

/** Length of the generated Grafana admin password (letters and digits only: safe in Helm's --set syntax). */
const GRAFANA_PASSWORD_LENGTH = 32;

export interface MonitoringProps {
  readonly config: Config;
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;
  readonly random: RandomProvider;
  /**
   * The Alertmanager webhook URL (sensitive), when `alerting.webhookEnabled`;
   * unset: no webhook Secret.
   */
  readonly alertmanagerWebhookUrl?: string;
  /**
   * What must be in place before the namespace and the release are created
   * (and stay until both are deleted): nodes Ready, the StorageClass and the
   * destroy-time volume wait.
   */
  readonly dependsOn: ITerraformDependable[];
}

export class Monitoring extends Construct {
  readonly release: ChartRelease;
  /** The Grafana admin password (sensitive). */
  readonly grafanaAdminPassword: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config } = props;

    // node-exporter needs the host's network, PID namespace and filesystem.
    // Created after, and so deleted before, what its volumes need (the
    // StorageClass and the destroy-time volume wait): deleting the namespace
    // deletes every claim in it, and Terraform waits until it is gone.
    const namespace = new PrivilegedNamespace(this, "namespace", {
      provider: props.kubernetes,
      name: NAMESPACES.monitoring,
      labels: NO_ADMISSION_WEBHOOKS,
      annotations: NO_MESH,
      dependsOn: props.dependsOn,
      deleteTimeoutSeconds: config.platform.helmTimeoutSeconds,
    });

    const password = new Password(this, "grafana-admin-password", {
      provider: props.random,
      length: GRAFANA_PASSWORD_LENGTH,
      special: false,
    });
    this.grafanaAdminPassword = password.result;

    if (config.alerting.webhookEnabled !== (props.alertmanagerWebhookUrl !== undefined)) {
      throw new Error("Monitoring: alertmanagerWebhookUrl must be given exactly when alerting.webhookEnabled is true");
    }
    const webhook =
      props.alertmanagerWebhookUrl === undefined
        ? undefined
        : new SecretV1(this, "alertmanager-webhook", {
            provider: props.kubernetes,
            metadata: { name: ALERTMANAGER_WEBHOOK_SECRET.name, namespace: namespace.name },
            data: { [ALERTMANAGER_WEBHOOK_SECRET.key]: props.alertmanagerWebhookUrl },
          });

    // Grafana's sidecars read ConfigMaps in this namespace only, never a Secret.
    const grafanaRbac = new GrafanaRbac(this, "grafana-rbac", { provider: props.kubernetes, namespace: namespace.name, dependsOn: [namespace.namespace] });
    this.release = new ChartRelease(this, "kube-prometheus-stack", {
      provider: props.helm,
      name: RELEASES.kubePrometheusStack,
      source: CHARTS.kubePrometheusStack,
      version: config.versions.kubePrometheusStackChart,
      namespace: namespace.name,
      values: kubePrometheusStackValues(config),
      sensitiveValues: { [MONITORING_SENSITIVE_VALUE_PATHS.grafanaAdminPassword]: password.result },
      timeoutSeconds: config.platform.helmTimeoutSeconds,
      dependsOn: [namespace.namespace, grafanaRbac.role, grafanaRbac.binding, ...(webhook ? [webhook] : [])],
    });
  }
}
