/**
 * The Kubernetes and Helm providers of the stacks that run on the cluster,
 * configured straight from the cluster stack's outputs: no kubeconfig on disk.
 */
import { Construct } from "constructs";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import type { ClusterOutputs } from "../stacks/cluster/outputs";

export interface KubeProviders {
  readonly kubernetes: KubernetesProvider;
  readonly helm?: HelmProvider;
}

export function kubeProviders(scope: Construct, cluster: ClusterOutputs, opts: { helm: boolean }): KubeProviders {
  const connection = {
    host: cluster.apiServerUrl,
    clusterCaCertificate: cluster.caCertificatePem,
    clientCertificate: cluster.clientCertificatePem,
    clientKey: cluster.clientKeyPem,
  };
  const kubernetes = new KubernetesProvider(scope, "kubernetes", connection);
  if (!opts.helm) return { kubernetes };
  const helm = new HelmProvider(scope, "helm", { kubernetes: connection });
  return { kubernetes, helm };
}
