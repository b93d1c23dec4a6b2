/**
 * The platform on the cluster: pod network, storage, monitoring and the
 * Linkerd control plane. Each piece waits only for what it truly needs
 * (docs/platform.md, "Install order"), so the independent ones install side
 * by side:
 *
 *   flannel (DaemonSet Ready)
 *   → node-readiness gate (every node Ready with pod networking)
 *   ├→ aws-ebs-csi-driver (also after its IAM role, assumed by web identity,
 *   │  and a plan-time read of the issuer's public documents) → StorageClass → volume cleanup (a destroy-time wait)
 *   │  → monitoring namespace, Alertmanager webhook Secret (when enabled),
 *   │    kube-prometheus-stack (Operator CRDs with it; Prometheus,
 *   │    Alertmanager and Grafana on volumes)
 *   └→ linkerd namespace → linkerd-crds → linkerd-control-plane (Ready)
 *      → linkerd-jaeger namespace → linkerd-jaeger (when platform.tracing.enabled)
 *
 * Linkerd needs neither volumes nor the Prometheus Operator: the mesh scrape
 * jobs are plain Prometheus configuration (mesh-scrape.ts) that finds the
 * proxies whenever they appear, and the chart's PodMonitors are off. The
 * monitoring namespace is outside the proxy injector's webhook, so its pods
 * never wait for the injector either.
 *
 * `cdktf destroy` runs it backwards; the volume cleanup makes it wait, once
 * the monitoring namespace (and every claim in it) is gone, until the driver
 * has deleted the EBS volumes, and only then removes the driver and, after
 * it, its role.
 *
 * Nothing here uses a custom resource: no object waits on a CRD at plan time.
 */
import { Construct } from "constructs";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import type { Config } from "../../lib/config";
import { ProjectStack, STACK_NAMES } from "../../lib/stack-base";
import { kubeProviders } from "../../lib/kube-providers";
import { OUTPUT_NAMES } from "../../lib/stack-outputs";
import { clusterTagKey } from "../../lib/storage";
import type { ClusterOutputs } from "../cluster/outputs";
import { Flannel } from "./flannel";
import { NodeReadinessGate } from "./node-readiness-gate";
import { Monitoring } from "./monitoring";
import { EbsCsiDriver } from "./ebs-csi-driver";
import { VolumeCleanup } from "./volume-cleanup";
import { LinkerdIdentity } from "./linkerd-identity";
import { Linkerd } from "./linkerd";
import { Tracing } from "./tracing";
import { Logging } from "./logging";
import type { PlatformOutputs } from "./outputs";

/**
 * Terraform variable (TF_VAR_alertmanager_webhook_url) holding the Alertmanager
 * webhook URL; declared only when `alerting.webhookEnabled` is true.
 */
export const ALERTMANAGER_WEBHOOK_VARIABLE = "alertmanager_webhook_url";

export class PlatformStack extends ProjectStack {
  readonly outputs: PlatformOutputs;

  constructor(scope: Construct, config: Config, cluster: ClusterOutputs) {
    super(scope, STACK_NAMES.platform, config);

    const { kubernetes, helm } = kubeProviders(this, cluster, { helm: true });
    if (!helm) throw new Error("the platform stack needs the Helm provider");
    const tls = new TlsProvider(this, "tls");
    const random = new RandomProvider(this, "random");
    const time = new TimeProvider(this, "time");

    // No default: with the webhook enabled, a deploy without the variable
    // stops at plan time instead of overwriting the Secret with nothing.
    const webhookUrl = config.alerting.webhookEnabled
      ? new TerraformVariable(this, ALERTMANAGER_WEBHOOK_VARIABLE, {
          type: "string",
          nullable: false,
          sensitive: true,
          description: "Slack-compatible webhook URL Alertmanager sends pages and tickets to (alerting.webhookEnabled is true)",
          validation: [
            {
              condition: `\${can(regex("^https?://", var.${ALERTMANAGER_WEBHOOK_VARIABLE}))}`,
              errorMessage: `TF_VAR_${ALERTMANAGER_WEBHOOK_VARIABLE} must be the webhook's http(s) URL (alerting.webhookEnabled is true).`,
            },
          ],
        })
      : undefined;

    const flannel = new Flannel(this, "flannel", { config, kubernetes, helm });
    const nodesReady = new NodeReadinessGate(this, "nodes-ready", {
      config,
      provider: kubernetes,
      namespace: flannel.release.release.namespace,
      dependsOn: [flannel.release.release],
    });

    const storage = new EbsCsiDriver(this, "ebs-csi", {
      config,
      cluster,
      kubernetes,
      helm,
      dependsOn: [nodesReady.deployment],
    });
    const volumeCleanup = new VolumeCleanup(this, "volume-cleanup", {
      config,
      provider: time,
      cluster,
      storageClassName: storage.storageClass.metadata.name,
      sweepHint: `Volumes left behind carry the tag ${clusterTagKey(config)}=owned: docs/data-safety.md ("Sweep") lists and deletes them.`,
      dependsOn: [storage.release.release, storage.storageClass],
    });

    const monitoring = new Monitoring(this, "monitoring", {
      config,
      kubernetes,
      helm,
      random,
      ...(webhookUrl ? { alertmanagerWebhookUrl: webhookUrl.stringValue } : {}),
      dependsOn: [nodesReady.deployment, storage.storageClass, volumeCleanup.wait],
    });

    const identity = new LinkerdIdentity(this, "linkerd-identity", { config, provider: tls });
    const linkerd = new Linkerd(this, "linkerd", {
      config,
      kubernetes,
      helm,
      identity,
      // The pod network on every node; not storage, not monitoring.
      dependsOn: [nodesReady.deployment],
    });

    // Tracing needs only the mesh: the control plane meshes its pods and
    // issues their identities.
    const tracing = config.platform.tracing.enabled
      ? new Tracing(this, "tracing", { config, kubernetes, helm, dependsOn: [linkerd.controlPlane.release] })
      : undefined;

    // Logs need networked nodes and a volume (and, on destroy, the volume wait
    // after them); not the mesh, not monitoring.
    if (config.platform.logs.enabled) {
      new Logging(this, "logging", {
        config,
        kubernetes,
        helm,
        dependsOn: [nodesReady.deployment, storage.storageClass, volumeCleanup.wait],
      });
    }

    new TerraformOutput(this, OUTPUT_NAMES.platform.grafanaAdminPassword, {
      value: monitoring.grafanaAdminPassword,
      sensitive: true,
      description: "Grafana admin password (user admin)",
    });

    this.outputs = {
      linkerdNamespace: linkerd.controlPlane.release.namespace,
      monitoringNamespace: monitoring.release.release.namespace,
      ...(tracing ? { tracingNamespace: tracing.release.release.namespace } : {}),
    };
  }
}
