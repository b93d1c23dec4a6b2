/**
 * A namespace whose pods need host access (CNI, node-exporter, Linkerd's
 * iptables init container): Pod Security admission set to `privileged`.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";

/** Pod Security admission labels of a namespace that runs privileged pods. */
export const PRIVILEGED_POD_SECURITY = {
  "pod-security.kubernetes.io/enforce": "privileged",
} as const;

/** The annotation that keeps Linkerd's proxy injector away from a namespace's pods. */
export const NO_MESH = { "linkerd.io/inject": "disabled" } as const;

/**
 * The label that takes a namespace out of the namespaceSelector of Linkerd's
 * admission webhooks (linkerd-control-plane chart values `proxyInjector`,
 * `profileValidator`, `policyValidator` `.namespaceSelector`: key
 * `config.linkerd.io/admission-webhooks` NotIn `disabled`). Without it the API
 * server calls the injector for every pod created there, and with the
 * injector down each such creation waits for the webhook's timeout.
 */
export const NO_ADMISSION_WEBHOOKS = { "config.linkerd.io/admission-webhooks": "disabled" } as const;

export interface PrivilegedNamespaceProps {
  readonly provider: KubernetesProvider;
  readonly name: string;
  /** Labels besides the Pod Security ones. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly dependsOn?: ITerraformDependable[];
  /**
   * How long a destroy waits for the namespace (and everything in it) to be gone.
   * @default the provider's own (5 minutes)
   */
  readonly deleteTimeoutSeconds?: number;
}

export class PrivilegedNamespace extends Construct {
  readonly namespace: NamespaceV1;
  /** The namespace's name, as a reference (orders what uses it after it). */
  readonly name: string;

  constructor(scope: Construct, id: string, props: PrivilegedNamespaceProps) {
    super(scope, id);
    this.namespace = new NamespaceV1(this, "namespace", {
      provider: props.provider,
      metadata: {
        name: props.name,
        labels: { ...props.labels, ...PRIVILEGED_POD_SECURITY },
        ...(props.annotations ? { annotations: { ...props.annotations } } : {}),
      },
      dependsOn: props.dependsOn,
      ...(props.deleteTimeoutSeconds ? { timeouts: { delete: `${props.deleteTimeoutSeconds}s` } } : {}),
    });
    this.name = this.namespace.metadata.name;
  }
}
