/** Linkerd annotations the apps stack sets (keys as Linkerd stable-2.14 reads them). */
export const LINKERD_ANNOTATIONS = {
  /** Proxy injection, read by the proxy injector at pod creation. */
  inject: "linkerd.io/inject",
  /** Inbound policy for ports no Server selects; the injector copies it from the namespace to each pod. */
  defaultInboundPolicy: "config.linkerd.io/default-inbound-policy",
  /** The proxy's HTTP access log on inbound requests, `apache` or `json` (pkg/k8s/labels.go ProxyAccessLogAnnotation at stable-2.14.10). */
  accessLog: "config.linkerd.io/access-log",
} as const;

/**
 * Services whose inbound requests carry a B3 trace context: productpage sends
 * its `x-b3-*` headers to details and reviews, and reviews forwards them to
 * ratings (istio release-1.20 productpage.py and LibertyRestEndpoint.java).
 * Their proxies' access logs record the trace id (the proxy takes it from
 * `x-b3-traceid`: linkerd2-proxy v2.210.4 linkerd/http-access-log), which
 * links a log line to its trace. productpage's own callers send none.
 */
export const TRACE_CONTEXT_RECEIVERS = ["details", "reviews", "ratings"] as const;

/** Linkerd's default identity trust domain (the control plane's `identityTrustDomain`). */
export const LINKERD_TRUST_DOMAIN = "cluster.local";

/** The API groups and versions of the Linkerd policy kinds the stack creates (all served by stable-2.14). */
export const LINKERD_POLICY_API = {
  group: "policy.linkerd.io",
  server: "policy.linkerd.io/v1beta1",
  authorizationPolicy: "policy.linkerd.io/v1alpha1",
  meshTlsAuthentication: "policy.linkerd.io/v1alpha1",
  networkAuthentication: "policy.linkerd.io/v1alpha1",
  httpRoute: "policy.linkerd.io/v1beta3",
} as const;
