/**
 * The kubeadm configuration files, built as typed objects at synth time and
 * embedded in the user-data. Values known only on the node are shell
 * variables (`${NODE_IP}`), expanded when the bootstrap writes the file.
 */
import { stringify } from "yaml";
import type { Config } from "../../lib/config";
import { PORTS } from "../../lib/ports";
import { controlPlanePrivateIp, JOIN_TOKEN_TTL_HOURS, minorNumber } from "./settings";
import { ENCRYPTION_CONFIG_DIR, ENCRYPTION_CONFIG_FILE } from "./secrets-encryption";
import { OIDC_DOCUMENT_KEYS } from "../../lib/workload-identity";

/** kubeadm's config API: v1beta4 from Kubernetes 1.31 (extraArgs become lists), v1beta3 before. */
export function kubeadmApiVersion(kubernetesVersion: string): "kubeadm.k8s.io/v1beta3" | "kubeadm.k8s.io/v1beta4" {
  return minorNumber(kubernetesVersion) >= 31 ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}

type Args = Record<string, string>;

/** extraArgs in the shape the API version expects: a map (v1beta3) or a list of {name, value} (v1beta4). */
function extraArgs(apiVersion: string, args: Args): Args | Array<{ name: string; value: string }> {
  if (apiVersion.endsWith("v1beta3")) return args;
  return Object.entries(args).map(([name, value]) => ({ name, value }));
}

const CRI_SOCKET = "unix:///run/containerd/containerd.sock";

/** Shell variables the bootstrap defines before it writes a kubeadm file. */
export const NODE_VARIABLES = {
  nodeIp: "${NODE_IP}",
  providerId: "${PROVIDER_ID}",
  bootstrapToken: "${BOOTSTRAP_TOKEN}",
  joinToken: "${JOIN_TOKEN}",
  caCertHash: "${CA_CERT_HASH}",
  publicIp: "${CONTROL_PLANE_PUBLIC_IP}",
  serviceAccountIssuer: "${SERVICE_ACCOUNT_ISSUER}",
} as const;

function nodeRegistration(apiVersion: string) {
  return {
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: extraArgs(apiVersion, { "node-ip": NODE_VARIABLES.nodeIp, "provider-id": NODE_VARIABLES.providerId }),
  };
}

function toYaml(documents: object[]): string {
  return documents
    .map((d) => stringify(d, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0 }))
    .join("---\n")
    .trimEnd();
}

/** The control plane's InitConfiguration, ClusterConfiguration, KubeletConfiguration and KubeProxyConfiguration. */
export function kubeadmInitConfig(config: Config): string {
  const apiVersion = kubeadmApiVersion(config.cluster.kubernetesVersion);
  const privateIp = controlPlanePrivateIp(config);
  const everywhere = "0.0.0.0";
  return toYaml([
    {
      apiVersion,
      kind: "InitConfiguration",
      bootstrapTokens: [
        {
          token: NODE_VARIABLES.bootstrapToken,
          ttl: `${JOIN_TOKEN_TTL_HOURS}h0m0s`,
          description: "first worker join token, from Terraform",
          usages: ["signing", "authentication"],
          groups: ["system:bootstrappers:kubeadm:default-node-token"],
        },
      ],
      localAPIEndpoint: { advertiseAddress: privateIp, bindPort: PORTS.kubeApiServer.port },
      nodeRegistration: nodeRegistration(apiVersion),
    },
    {
      apiVersion,
      kind: "ClusterConfiguration",
      clusterName: config.name,
      kubernetesVersion: `v${config.cluster.kubernetesVersion}`,
      // The fixed private address: stable for the cluster's life, reachable by every node.
      controlPlaneEndpoint: `${privateIp}:${PORTS.kubeApiServer.port}`,
      networking: { podSubnet: config.cluster.podCidr, serviceSubnet: config.cluster.serviceCidr },
      // The Elastic IP is how admins and Terraform reach the API server.
      // Secrets are encrypted in etcd from the first write (secrets-encryption.ts).
      apiServer: {
        certSANs: [NODE_VARIABLES.publicIp, privateIp],
        extraArgs: extraArgs(apiVersion, {
          "encryption-provider-config": ENCRYPTION_CONFIG_FILE,
          // The public S3 issuer AWS STS trusts (service-account-issuer.ts);
          // it replaces kubeadm's in-cluster default, and the API audience
          // follows it.
          "service-account-issuer": NODE_VARIABLES.serviceAccountIssuer,
          // The discovery document's jwks_uri: without this flag the API server
          // names its own (private) address there, which STS cannot reach.
          "service-account-jwks-uri": `${NODE_VARIABLES.serviceAccountIssuer}/${OIDC_DOCUMENT_KEYS.jwks}`,
        }),
        extraVolumes: [
          { name: "encryption-config", hostPath: ENCRYPTION_CONFIG_DIR, mountPath: ENCRYPTION_CONFIG_DIR, readOnly: true, pathType: "DirectoryOrCreate" },
        ],
      },
      // Metrics endpoints kube-prometheus-stack scrapes; kubeadm binds them to
      // 127.0.0.1. Only the cluster security group reaches these ports.
      controllerManager: { extraArgs: extraArgs(apiVersion, { "bind-address": everywhere }) },
      scheduler: { extraArgs: extraArgs(apiVersion, { "bind-address": everywhere }) },
      etcd: {
        local: { extraArgs: extraArgs(apiVersion, { "listen-metrics-urls": `http://${everywhere}:${PORTS.etcdMetrics.port}` }) },
      },
    },
    { apiVersion: "kubelet.config.k8s.io/v1beta1", kind: "KubeletConfiguration", cgroupDriver: "systemd" },
    {
      apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
      kind: "KubeProxyConfiguration",
      metricsBindAddress: `${everywhere}:${PORTS.kubeProxyMetrics.port}`,
    },
  ]);
}

/** A worker's JoinConfiguration: token discovery pinned to the cluster CA's public key. */
export function kubeadmJoinConfig(config: Config): string {
  const apiVersion = kubeadmApiVersion(config.cluster.kubernetesVersion);
  return toYaml([
    {
      apiVersion,
      kind: "JoinConfiguration",
      discovery: {
        bootstrapToken: {
          apiServerEndpoint: `${controlPlanePrivateIp(config)}:${PORTS.kubeApiServer.port}`,
          token: NODE_VARIABLES.joinToken,
          caCertHashes: [NODE_VARIABLES.caCertHash],
        },
      },
      nodeRegistration: nodeRegistration(apiVersion),
    },
  ]);
}
