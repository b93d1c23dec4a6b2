/**
 * Kubernetes names that more than one stack, the verify command or the docs
 * need: namespaces, Helm release names and the Services they create.
 */
export const NAMESPACES = {
  flannel: "kube-flannel",
  linkerd: "linkerd",
  monitoring: "monitoring",
  bookinfo: "bookinfo",
  /** The unmeshed copy of Bookinfo the mesh-overhead benchmark compares against. */
  bookinfoBaseline: "bookinfo-baseline",
  /** Linkerd's Jaeger extension: trace collector, injector and Jaeger (meshed by the chart's own pod annotations). */
  linkerdJaeger: "linkerd-jaeger",
  /** Loki and its agent, Fluent Bit (not meshed; the agent reads the nodes' log files). */
  logging: "logging",
} as const;

export const RELEASES = {
  flannel: "flannel",
  linkerdCrds: "linkerd-crds",
  linkerdControlPlane: "linkerd-control-plane",
  kubePrometheusStack: "kube-prometheus-stack",
  /** The persistent-volume provisioner (namespace kube-system). */
  awsEbsCsiDriver: "aws-ebs-csi-driver",
  /** Linkerd's Jaeger extension (namespace linkerd-jaeger). */
  linkerdJaeger: "linkerd-jaeger",
  /** Loki, single binary (namespace logging). */
  loki: "loki",
  /** The log agent (namespace logging). */
  fluentBit: "fluent-bit",
} as const;

/**
 * Objects the linkerd-jaeger chart creates (templates/tracing.yaml and
 * tracing-policy.yaml at stable-2.14.10), which Grafana, the policy and the
 * verify command refer to.
 */
export const JAEGER_OBJECTS = {
  /** The OpenTelemetry collector's Service and ServiceAccount (the proxies' trace destination). */
  collectorService: "collector",
  collectorServiceAccount: "collector",
  /** Jaeger all-in-one's Service (query API and UI on port `ui`). */
  jaegerService: "jaeger",
  /** Port name of the query API and UI on the Jaeger Service. */
  jaegerUiPortName: "ui",
  /** The chart's Server on the Jaeger UI port (only linkerd-viz's web is authorized by the chart). */
  jaegerUiServer: "jaeger-ui",
  /** Path prefix the chart's default `--query.base-path` puts the UI and API under. */
  basePath: "/jaeger",
} as const;

/** Services created by the kube-prometheus-stack release (names follow the release name). */
export const MONITORING_SERVICES = {
  prometheus: `${RELEASES.kubePrometheusStack}-prometheus`,
  alertmanager: `${RELEASES.kubePrometheusStack}-alertmanager`,
  grafana: `${RELEASES.kubePrometheusStack}-grafana`,
} as const;

/** Prometheus job names Linkerd's dashboards query. */
export const LINKERD_JOBS = {
  proxy: "linkerd-proxy",
  controller: "linkerd-controller",
} as const;

/** Port names on Services the verify command reaches through the API server's service proxy. */
export const MONITORING_SERVICE_PORTS = {
  /** kube-prometheus-stack's `prometheus.prometheusSpec.portName` default. */
  prometheus: "http-web",
  /** kube-prometheus-stack's `grafana.service.portName` (values.yaml at 88.5.3). */
  grafana: "http-web",
} as const;

/**
 * Grafana's ServiceAccount: the grafana chart's default name for it under this
 * release (`<release>-grafana`), set explicitly so the Role binding names it.
 */
export const GRAFANA_SERVICE_ACCOUNT = `${RELEASES.kubePrometheusStack}-grafana`;

/** Linkerd control-plane objects the verify command inspects. */
export const LINKERD_OBJECTS = {
  /** Deployments that make the control plane complete. */
  deployments: ["linkerd-identity", "linkerd-destination", "linkerd-proxy-injector"],
  /** Secret holding the identity issuer (intermediate CA) certificate, key `crt.pem`. */
  issuerSecret: "linkerd-identity-issuer",
  /** ConfigMap holding the trust anchor bundle, key `ca-bundle.crt`. */
  trustRootsConfigMap: "linkerd-identity-trust-roots",
  /** Name of the proxy container the injector adds to meshed pods. */
  proxyContainer: "linkerd-proxy",
} as const;

/** Bookinfo workloads (istio release-1.20 sample names). ServiceAccounts are `bookinfo-<service>`. */
export const BOOKINFO = {
  services: ["productpage", "details", "reviews", "ratings"],
  deployments: {
    productpage: "productpage-v1",
    details: "details-v1",
    ratings: "ratings-v1",
    reviews: { v1: "reviews-v1", v2: "reviews-v2", v3: "reviews-v3" },
  },
} as const;

/** The ServiceAccount of a Bookinfo service's pods (`reviews` → `bookinfo-reviews`). */
export function bookinfoServiceAccount(service: string): string {
  return `bookinfo-${service}`;
}

/** The continuous traffic generator: a meshed Deployment (and its ServiceAccount) in the bookinfo namespace. */
export const TRAFFIC_GENERATOR = {
  deployment: "traffic-generator",
  serviceAccount: "traffic-generator",
  namespace: NAMESPACES.bookinfo,
} as const;

/** Every Prometheus rule group of the project's SLO rules and alerts starts with this name. */
export const SLO_RULE_GROUP_PREFIX = "bookinfo-slo";
