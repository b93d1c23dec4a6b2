/** A namespace of the apps stack, meshed (default-deny inbound) or explicitly not. */
import { Construct } from "constructs";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { LINKERD_ANNOTATIONS } from "./linkerd-annotations";
import { MANAGED_BY, PART_OF } from "./labels";

/**
 * Annotation naming the Linkerd control plane that meshes a namespace's pods.
 * Its value is read from the platform stack's output, which resolves only once
 * the control plane (its proxy injector) is Ready: a meshed namespace, and so
 * every pod in it, is created after the injector can inject.
 */
export const MESHED_BY_ANNOTATION = "k8s-mesh/linkerd-control-plane-ns";

/**
 * Annotation naming the tracing extension whose injector gives the
 * namespace's proxies the trace collector's address; read from the platform
 * stack's output, so the namespace (and its pods) come after that injector.
 */
export const TRACED_BY_ANNOTATION = "k8s-mesh/trace-injector-ns";

export interface AppNamespaceProps {
  readonly provider: KubernetesProvider;
  readonly name: string;
  /** true: every pod gets a Linkerd proxy and inbound traffic is denied unless a policy allows it. */
  readonly meshed: boolean;
  /** The Linkerd control plane's namespace, as the platform stack's output (meshed namespaces only). */
  readonly controlPlaneNamespace?: string;
  /** The tracing extension's namespace, as the platform stack's output (when tracing is on). */
  readonly traceInjectorNamespace?: string;
}

export function namespaceAnnotations(meshed: boolean): Record<string, string> {
  return meshed
    ? { [LINKERD_ANNOTATIONS.inject]: "enabled", [LINKERD_ANNOTATIONS.defaultInboundPolicy]: "deny" }
    : { [LINKERD_ANNOTATIONS.inject]: "disabled" };
}

export class AppNamespace extends Construct {
  readonly namespace: NamespaceV1;
  /** The name, as a reference (objects using it are created after the namespace). */
  readonly name: string;

  constructor(scope: Construct, id: string, props: AppNamespaceProps) {
    super(scope, id);
    this.namespace = new NamespaceV1(this, "namespace", {
      provider: props.provider,
      metadata: {
        name: props.name,
        labels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": MANAGED_BY },
        annotations: {
          ...namespaceAnnotations(props.meshed),
          ...(props.controlPlaneNamespace === undefined ? {} : { [MESHED_BY_ANNOTATION]: props.controlPlaneNamespace }),
          ...(props.traceInjectorNamespace === undefined ? {} : { [TRACED_BY_ANNOTATION]: props.traceInjectorNamespace }),
        },
      },
    });
    this.name = this.namespace.metadata.name;
  }
}
