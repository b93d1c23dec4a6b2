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
} as const;

export const RELEASES = {
  flannel: "flannel",
  linkerdCrds: "linkerd-crds",
  linkerdControlPlane: "linkerd-control-plane",
  kubePrometheusStack: "kube-prometheus-stack",
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
