/**
 * A workload of the apps stack: a Deployment with one container, built from
 * the label helper, with the restricted security settings.
 */
import { Construct } from "constructs";
import { DeploymentV1, type DeploymentV1Config } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { selectorLabels, workloadLabels, type WorkloadName } from "./labels";
import { containerSecurityContext, podSecurityContext } from "./pod-security";
import type { Resources } from "./bookinfo-components";

export interface WorkloadProps {
  readonly provider: KubernetesProvider;
  readonly namespace: string;
  /** Deployment name. */
  readonly name: string;
  readonly labels: WorkloadName;
  readonly serviceAccountName: string;
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Named container port, if the workload serves one. */
  readonly port?: { readonly name: string; readonly containerPort: number };
  readonly readinessPath?: string;
  readonly readinessInitialDelaySeconds?: number;
  /** emptyDir volumes: name → mount path. */
  readonly scratch?: Readonly<Record<string, string>>;
  readonly runAsUser: number;
  readonly resources: Resources;
  /** Pod annotations (injection overrides and the like). */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** @default 1 */
  readonly replicas?: number;
  readonly dependsOn?: DeploymentV1Config["dependsOn"];
}

/** The pod template's spec, shared with Jobs that run the same kind of container. */
export function containerSpec(props: Omit<WorkloadProps, "provider" | "namespace" | "labels" | "serviceAccountName" | "dependsOn" | "replicas" | "podAnnotations">) {
  const scratch = Object.entries(props.scratch ?? {});
  return {
    name: props.name,
    image: props.image,
    imagePullPolicy: "IfNotPresent",
    ...(props.args ? { args: [...props.args] } : {}),
    env: Object.entries(props.env ?? {}).map(([name, value]) => ({ name, value })),
    port: props.port ? [{ name: props.port.name, containerPort: props.port.containerPort }] : [],
    ...(props.port && props.readinessPath
      ? {
          readinessProbe: {
            httpGet: { path: props.readinessPath, port: props.port.name },
            initialDelaySeconds: props.readinessInitialDelaySeconds ?? 0,
            periodSeconds: 5,
            timeoutSeconds: 2,
            failureThreshold: 3,
          },
        }
      : {}),
    resources: { requests: { ...props.resources.requests }, limits: { ...props.resources.limits } },
    securityContext: containerSecurityContext(props.runAsUser),
    volumeMount: scratch.map(([name, mountPath]) => ({ name, mountPath })),
  };
}

export class Workload extends Construct {
  readonly deployment: DeploymentV1;

  constructor(scope: Construct, id: string, props: WorkloadProps) {
    super(scope, id);
    const labels = workloadLabels(props.labels);
    this.deployment = new DeploymentV1(this, "deployment", {
      provider: props.provider,
      dependsOn: props.dependsOn,
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        replicas: String(props.replicas ?? 1),
        selector: { matchLabels: selectorLabels(props.labels) },
        template: {
          metadata: { labels, annotations: { ...(props.podAnnotations ?? {}) } },
          spec: {
            serviceAccountName: props.serviceAccountName,
            securityContext: podSecurityContext(props.runAsUser),
            container: [{ ...containerSpec(props), name: props.labels.app }],
            volume: Object.keys(props.scratch ?? {}).map((name) => ({ name, emptyDir: {} })),
          },
        },
      },
      timeouts: { create: "10m", update: "10m", delete: "5m" },
    });
  }
}
