/**
 * The pod network: Flannel in VXLAN mode, one DaemonSet on every node.
 *
 * Its overlay traffic (UDP PORTS.flannelVxlan between nodes) is carried by
 * the cluster security group's node-to-node rule. The pod CIDR must equal
 * the one kubeadm was given (config.cluster.podCidr feeds both).
 */
import { Construct } from "constructs";
import type { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Config } from "../../lib/config";
import { CHARTS } from "../../lib/versions";
import { PORTS } from "../../lib/ports";
import { NAMESPACES, RELEASES } from "../../lib/k8s-names";
import { ChartRelease } from "./helm-release";
import { NO_ADMISSION_WEBHOOKS, PrivilegedNamespace } from "./privileged-namespace";

/** Flannel's chart values for this cluster. */
export function flannelValues(config: Config) {
  return {
    podCidr: config.cluster.podCidr,
    flannel: {
      backend: "vxlan",
      // The chart's default is the same port; spelled out so the security
      // group and the overlay read one number.
      backendPort: PORTS.flannelVxlan.port,
    },
  };
}

export interface FlannelProps {
  readonly config: Config;
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;
}

export class Flannel extends Construct {
  readonly release: ChartRelease;

  constructor(scope: Construct, id: string, props: FlannelProps) {
    super(scope, id);
    const { config } = props;
    const namespace = new PrivilegedNamespace(this, "namespace", {
      provider: props.kubernetes,
      name: NAMESPACES.flannel,
      labels: NO_ADMISSION_WEBHOOKS,
    });
    this.release = new ChartRelease(this, "flannel", {
      provider: props.helm,
      name: RELEASES.flannel,
      source: CHARTS.flannel,
      version: config.versions.flannelChart,
      namespace: namespace.name,
      values: flannelValues(config),
      timeoutSeconds: config.platform.helmTimeoutSeconds,
      dependsOn: [namespace.namespace],
    });
  }
}
