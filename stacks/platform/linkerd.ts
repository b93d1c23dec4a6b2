/**
 * Linkerd stable-2.14 from its Helm charts: the `linkerd` namespace (as the
 * CLI would create it), then linkerd-crds, then linkerd-control-plane,
 * waited on until identity, destination and the proxy injector are Ready.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Config } from "../../lib/config";
import { CHARTS } from "../../lib/versions";
import { NAMESPACES, RELEASES } from "../../lib/k8s-names";
import { ChartRelease } from "./helm-release";
import { NO_MESH, PrivilegedNamespace } from "./privileged-namespace";
import type { LinkerdIdentity } from "./linkerd-identity";

/**
 * Labels and annotation the Linkerd CLI puts on its namespace. Pod Security
 * stays `privileged`: without the Linkerd CNI plugin, every meshed pod's
 * init container rewrites iptables (NET_ADMIN, NET_RAW).
 */
export const LINKERD_NAMESPACE_METADATA = {
  labels: {
    "linkerd.io/is-control-plane": "true",
    "config.linkerd.io/admission-webhooks": "disabled",
    "linkerd.io/control-plane-ns": NAMESPACES.linkerd,
  },
  annotations: { ...NO_MESH },
} as const;

/**
 * High availability, restating the chart's values-ha.yaml (1.16.11): three
 * replicas spread by required anti-affinity, disruption budgets, resource
 * requests, and a proxy injector that fails closed. That file also sets
 * `controllerResources` (only a YAML anchor there) and
 * `policyControllerResources`, which no template reads; the policy
 * controller falls back to `destinationResources`, so neither is repeated.
 */
export function linkerdHighAvailabilityValues() {
  const controller = { cpu: { limit: "", request: "100m" }, memory: { limit: "250Mi", request: "50Mi" } };
  return {
    highAvailability: true,
    enablePodDisruptionBudget: true,
    enablePodAntiAffinity: true,
    deploymentStrategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: "25%" } },
    controllerReplicas: 3,
    webhookFailurePolicy: "Fail",
    proxy: { resources: { cpu: { request: "100m" }, memory: { limit: "250Mi", request: "20Mi" } } },
    destinationResources: controller,
    identityResources: { cpu: controller.cpu, memory: { limit: "250Mi", request: "10Mi" } },
    heartbeatResources: controller,
    proxyInjectorResources: controller,
    spValidatorResources: controller,
  };
}

/**
 * The networks the mesh treats as in-cluster (service discovery, and the
 * proxy's notion of what is meshed): the pod and service networks and the
 * VPC (nodes, host-network pods, the API server). Spelled out because the
 * chart's default lists only the private ranges, so a pod network outside
 * them would silently bypass discovery.
 */
export function linkerdClusterNetworks(config: Config): string {
  return [config.cluster.podCidr, config.cluster.serviceCidr, config.network.vpcCidr].join(",");
}

/** linkerd-control-plane values that are known at synth time. */
export function linkerdControlPlaneValues(config: Config) {
  return {
    clusterNetworks: linkerdClusterNetworks(config),
    // The heartbeat CronJob phones versioncheck.linkerd.io and its schedule
    // is derived from the install time (a diff on every deploy).
    disableHeartBeat: true,
    // Prometheus scrapes the mesh through kube-prometheus-stack's own scrape
    // configuration (stacks/platform/mesh-scrape.ts), not PodMonitors.
    podMonitor: { enabled: false },
    // Ubuntu 24.04 nodes run iptables on nftables (kubelet and kube-proxy
    // write their rules there). The chart's default, legacy, would put the
    // proxy's redirect rules in the other backend, or fail where the legacy
    // kernel module is not loaded, and linkerd-init would never finish.
    proxyInit: { iptablesMode: "nft" },
    ...(config.platform.linkerd.highAvailability ? linkerdHighAvailabilityValues() : {}),
  };
}

/** Value paths of the identity PKI (applied with `set` / `set_sensitive`). */
export const LINKERD_IDENTITY_VALUE_PATHS = {
  trustAnchorPem: "identityTrustAnchorsPEM",
  issuerCertificatePem: "identity.issuer.tls.crtPEM",
  issuerKeyPem: "identity.issuer.tls.keyPEM",
} as const;

export interface LinkerdProps {
  readonly config: Config;
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;
  readonly identity: LinkerdIdentity;
  /** What must be in place first. */
  readonly dependsOn: ITerraformDependable[];
}

export class Linkerd extends Construct {
  readonly crds: ChartRelease;
  readonly controlPlane: ChartRelease;

  constructor(scope: Construct, id: string, props: LinkerdProps) {
    super(scope, id);
    const { config, identity } = props;
    const timeoutSeconds = config.platform.helmTimeoutSeconds;

    const namespace = new PrivilegedNamespace(this, "namespace", {
      provider: props.kubernetes,
      name: NAMESPACES.linkerd,
      labels: LINKERD_NAMESPACE_METADATA.labels,
      annotations: LINKERD_NAMESPACE_METADATA.annotations,
      dependsOn: props.dependsOn,
    });

    this.crds = new ChartRelease(this, "crds", {
      provider: props.helm,
      name: RELEASES.linkerdCrds,
      source: CHARTS.linkerdCrds,
      version: config.versions.linkerdCrdsChart,
      namespace: namespace.name,
      values: {},
      timeoutSeconds,
      dependsOn: [namespace.namespace],
    });

    this.controlPlane = new ChartRelease(this, "control-plane", {
      provider: props.helm,
      name: RELEASES.linkerdControlPlane,
      source: CHARTS.linkerdControlPlane,
      version: config.versions.linkerdControlPlaneChart,
      namespace: namespace.name,
      values: linkerdControlPlaneValues(config),
      applyTimeValues: {
        [LINKERD_IDENTITY_VALUE_PATHS.trustAnchorPem]: identity.trustAnchorPem,
        [LINKERD_IDENTITY_VALUE_PATHS.issuerCertificatePem]: identity.issuerCertificatePem,
      },
      sensitiveValues: { [LINKERD_IDENTITY_VALUE_PATHS.issuerKeyPem]: identity.issuerKeyPem },
      timeoutSeconds,
      dependsOn: [this.crds.release],
    });
  }
}
