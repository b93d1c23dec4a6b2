/**
 * The user-data of each node role and the helper scripts they install,
 * rendered from the templates in this folder. No secret is ever a value
 * here: the CA key and the join token are read from SSM on the node.
 */
import type { Config } from "../../../lib/config";
import { PORTS } from "../../../lib/ports";
import { IMAGES, KUBERNETES, kubernetesMinor } from "../../../lib/versions";
import { kubeadmInitConfig, kubeadmJoinConfig } from "../kubeadm-config";
import {
  controlPlanePrivateIp,
  JOIN_TOKEN_REFRESH_HOURS,
  JOIN_TOKEN_TTL_HOURS,
  kubernetesPackageVersion,
  parameterNames,
} from "../settings";
import { renderScript, type ApplyTimeValue, type RenderedScript, type ScriptValue } from "./render";

/** Where the snap puts the AWS CLI (cloud-init's PATH may lack /snap/bin). */
export const AWS_CLI_PATH = "/snap/bin/aws";

/** An Elastic IP address for examples (TEST-NET-3, RFC 5737). */
export const EXAMPLE_PUBLIC_IP = "203.0.113.10";

const COMMON_TEMPLATES = ["functions.sh", "node-setup.sh"] as const;

function commonValues(config: Config, role: "control-plane" | "worker"): Record<string, ScriptValue> {
  const version = config.cluster.kubernetesVersion;
  const params = parameterNames(config);
  return {
    CLUSTER_NAME: config.name,
    NODE_ROLE: role,
    AWS_REGION: config.region,
    AWS_CLI: AWS_CLI_PATH,
    KUBERNETES_VERSION: version,
    KUBERNETES_MINOR: kubernetesMinor(version),
    KUBERNETES_PACKAGE_VERSION: kubernetesPackageVersion(version, KUBERNETES.packageRevision),
    SANDBOX_IMAGE: IMAGES.pause,
    SSM_CA_CERT: params.caCert,
    SSM_JOIN_TOKEN: params.joinToken,
    CONTROL_PLANE_PRIVATE_IP: controlPlanePrivateIp(config),
    API_SERVER_PORT: PORTS.kubeApiServer.port,
  };
}

/** The control plane's helper that stores a fresh join token in SSM (run by a systemd timer). */
export function refreshJoinTokenScript(config: Config): string {
  return renderScript({
    description: "Stores a fresh Kubernetes join token in SSM (k8s-refresh-join-token.timer).",
    values: {
      AWS_REGION: config.region,
      AWS_CLI: AWS_CLI_PATH,
      SSM_JOIN_TOKEN: parameterNames(config).joinToken,
      JOIN_TOKEN_TTL_HOURS,
    },
    templates: ["refresh-join-token.sh"],
  }).text;
}

/** The control plane's user-data; `publicIp` is the Elastic IP, known at apply time. */
export function controlPlaneUserData(config: Config, publicIp: ApplyTimeValue): RenderedScript {
  return renderScript({
    description: `Bootstrap of the control plane of Kubernetes cluster ${config.name}.`,
    values: {
      ...commonValues(config, "control-plane"),
      SSM_CA_KEY: parameterNames(config).caKey,
      CONTROL_PLANE_PUBLIC_IP: publicIp,
      JOIN_TOKEN_REFRESH_HOURS,
    },
    templates: [...COMMON_TEMPLATES, "control-plane.sh"],
    blocks: {
      KUBEADM_INIT_CONFIG: kubeadmInitConfig(config),
      REFRESH_JOIN_TOKEN_SCRIPT: refreshJoinTokenScript(config),
    },
  });
}

/** A worker's user-data: the same for every worker, with no apply-time value. */
export function workerUserData(config: Config): RenderedScript {
  return renderScript({
    description: `Bootstrap of a worker of Kubernetes cluster ${config.name}.`,
    values: {
      ...commonValues(config, "worker"),
      JOIN_TIMEOUT_SECONDS: config.cluster.readinessTimeoutMinutes * 60,
    },
    templates: [...COMMON_TEMPLATES, "worker.sh"],
    blocks: { KUBEADM_JOIN_CONFIG: kubeadmJoinConfig(config) },
  });
}
