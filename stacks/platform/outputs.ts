/**
 * What the platform stack hands to the apps stack. Reading any of these
 * makes the apps stack wait for the platform: the namespaces come from the
 * releases, so they resolve only once Linkerd's control plane and the
 * monitoring stack are installed.
 */
export interface PlatformOutputs {
  /** The Linkerd control plane's namespace (after the control plane is Ready). */
  readonly linkerdNamespace: string;
  /** The monitoring namespace (after kube-prometheus-stack is installed). */
  readonly monitoringNamespace: string;
  /** The tracing extension's namespace (after linkerd-jaeger, its injector, is Ready); absent with tracing off. */
  readonly tracingNamespace?: string;
}
