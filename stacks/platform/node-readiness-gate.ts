/**
 * Blocks the deploy until every node is Ready with a working pod network.
 *
 * Helm's wait on the Flannel DaemonSet is not enough on its own: Helm counts
 * a DaemonSet ready with one pod short (its rolling-update maxUnavailable)
 * and only over the nodes registered at that moment. This gate is a
 * Deployment with one tiny pause pod per node (control plane included),
 * spread by required anti-affinity. The scheduler places pods only on Ready
 * nodes and a pod starts only once the CNI set up its network, so the
 * Kubernetes provider's rollout wait (all replicas available) returns only
 * when 1 + workers nodes are Ready and networked.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Config } from "../../lib/config";
import { IMAGES } from "../../lib/versions";

/** Name and labels of the gate's Deployment. */
export const NODE_READINESS_GATE = {
  name: "node-readiness-gate",
  labels: { "app.kubernetes.io/name": "node-readiness-gate", "app.kubernetes.io/part-of": "platform" },
} as const;

/** The taint kubeadm puts on control-plane nodes. */
const CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane";

/** The pause image's own unprivileged user. */
const PAUSE_USER = "65535";

export interface NodeReadinessGateProps {
  readonly config: Config;
  readonly provider: KubernetesProvider;
  readonly namespace: string;
  readonly dependsOn: ITerraformDependable[];
}

export class NodeReadinessGate extends Construct {
  readonly deployment: DeploymentV1;

  constructor(scope: Construct, id: string, props: NodeReadinessGateProps) {
    super(scope, id);
    const { config } = props;
    const nodes = config.cluster.workers.count + 1;
    const labels = { ...NODE_READINESS_GATE.labels };
    this.deployment = new DeploymentV1(this, "deployment", {
      provider: props.provider,
      metadata: { name: NODE_READINESS_GATE.name, namespace: props.namespace, labels },
      spec: {
        replicas: String(nodes),
        selector: { matchLabels: labels },
        // Every node already holds a replica: a surge pod could never be placed.
        strategy: { type: "Recreate" },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 0,
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { topologyKey: "kubernetes.io/hostname", labelSelector: [{ matchLabels: labels }] },
                ],
              },
            },
            toleration: [{ key: CONTROL_PLANE_TAINT, operator: "Exists", effect: "NoSchedule" }],
            securityContext: {
              runAsNonRoot: true,
              runAsUser: PAUSE_USER,
              runAsGroup: PAUSE_USER,
              seccompProfile: { type: "RuntimeDefault" },
            },
            container: [
              {
                name: "pause",
                image: IMAGES.pause,
                resources: { requests: { cpu: "1m", memory: "8Mi" }, limits: { cpu: "10m", memory: "16Mi" } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
              },
            ],
          },
        },
      },
      waitForRollout: true,
      timeouts: { create: `${config.platform.helmTimeoutSeconds}s`, update: `${config.platform.helmTimeoutSeconds}s` },
      dependsOn: props.dependsOn,
    });
  }
}
