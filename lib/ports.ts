/**
 * The port table: every port number the project uses, in one place.
 *
 * Security-group rules, kubeadm settings, Service specs, container ports,
 * probes, scrape configs, authorization policies and tests all read from here.
 *
 * `reach` says who may connect:
 * - `cluster`: node to node only. The cluster security group's self-referencing
 *   rule carries these; they are listed so tests can prove none is ever open
 *   beyond the VPC.
 * - `admin`: from the admin CIDRs (the operators' addresses).
 * - `nodePort`: a Kubernetes NodePort, from the admin CIDRs (or the internet
 *   when config explicitly allows it). The numbers here are the defaults;
 *   config may move them within the NodePort range.
 * - `pod`: a port inside the pod network, carried by the CNI overlay.
 */

export type Protocol = "tcp" | "udp";
export type Reach = "cluster" | "admin" | "nodePort" | "pod";

export interface PortEntry {
  /** First (or only) port. */
  readonly port: number;
  /** Last port of a range; absent for a single port. */
  readonly toPort?: number;
  readonly protocol: Protocol;
  readonly reach: Reach;
  /** Who listens and who needs it; used as the security-group rule description. */
  readonly description: string;
}

function entry(port: number, protocol: Protocol, reach: Reach, description: string, toPort?: number): PortEntry {
  return toPort === undefined ? { port, protocol, reach, description } : { port, toPort, protocol, reach, description };
}

export const PORTS = {
  // --- Node ports (kubernetes.io "Ports and Protocols") ---
  kubeApiServer: entry(6443, "tcp", "admin", "Kubernetes API server (kubectl, Terraform providers, nodes)"),
  etcd: entry(2379, "tcp", "cluster", "etcd client and peer API (control plane only)", 2380),
  etcdMetrics: entry(2381, "tcp", "cluster", "etcd metrics (Prometheus)"),
  kubelet: entry(10250, "tcp", "cluster", "kubelet API: logs, exec, port-forward, metrics (API server, Prometheus)"),
  kubeProxyMetrics: entry(10249, "tcp", "cluster", "kube-proxy metrics (Prometheus)"),
  kubeProxyHealth: entry(10256, "tcp", "cluster", "kube-proxy health check"),
  kubeControllerManager: entry(10257, "tcp", "cluster", "kube-controller-manager secure port (Prometheus)"),
  kubeScheduler: entry(10259, "tcp", "cluster", "kube-scheduler secure port (Prometheus)"),
  nodeExporter: entry(9100, "tcp", "cluster", "Prometheus node-exporter"),
  flannelVxlan: entry(8472, "udp", "cluster", "Flannel VXLAN overlay (pod traffic between nodes)"),
  ssh: entry(22, "tcp", "admin", "SSH (closed unless config enables it; Session Manager needs no port)"),

  // --- NodePorts (defaults; config.nodePorts may move them) ---
  bookinfoNodePort: entry(30080, "tcp", "nodePort", "Bookinfo productpage NodePort"),
  grafanaNodePort: entry(30300, "tcp", "nodePort", "Grafana NodePort"),

  // --- Pod network ---
  bookinfoHttp: entry(9080, "tcp", "pod", "Bookinfo services (details, ratings, reviews, productpage)"),
  grafanaHttp: entry(3000, "tcp", "pod", "Grafana web UI container port"),
  grafanaService: entry(80, "tcp", "pod", "Grafana Service port"),
  prometheusHttp: entry(9090, "tcp", "pod", "Prometheus web and API"),
  alertmanagerHttp: entry(9093, "tcp", "pod", "Alertmanager web and API"),
  fortioHttp: entry(8080, "tcp", "pod", "Fortio load client UI and API"),
  linkerdProxyAdmin: entry(4191, "tcp", "pod", "Linkerd proxy admin: metrics and readiness (linkerd-admin)"),
  linkerdProxyInbound: entry(4143, "tcp", "pod", "Linkerd proxy inbound"),
  linkerdProxyOutbound: entry(4140, "tcp", "pod", "Linkerd proxy outbound"),
  linkerdIdentityGrpc: entry(8080, "tcp", "pod", "Linkerd identity gRPC"),
  linkerdDestinationGrpc: entry(8086, "tcp", "pod", "Linkerd destination gRPC"),
  linkerdPolicyGrpc: entry(8090, "tcp", "pod", "Linkerd policy gRPC"),
  linkerdAdminHttp: entry(9990, "tcp", "pod", "Linkerd controller admin (metrics)"),
  linkerdWebhook: entry(8443, "tcp", "pod", "Linkerd proxy-injector and sp-validator webhooks (called by the API server)"),
  linkerdPolicyWebhook: entry(9443, "tcp", "pod", "Linkerd policy validator webhook (called by the API server)"),
  traceCollectorOpencensus: entry(55678, "tcp", "pod", "Trace collector, OpenCensus receiver: every meshed proxy sends its spans here"),
  lokiHttp: entry(3100, "tcp", "pod", "Loki HTTP API: pushes from Fluent Bit, queries from Grafana and the verify command"),
  fluentBitMetrics: entry(2020, "tcp", "pod", "Fluent Bit HTTP server: health check and metrics"),
  jaegerCollectorGrpc: entry(14250, "tcp", "pod", "Jaeger's gRPC span intake (the trace collector exports here)"),
  jaegerQuery: entry(16686, "tcp", "pod", "Jaeger query API and UI (Grafana's Jaeger datasource, kubectl port-forward)"),
} as const satisfies Record<string, PortEntry>;

export type PortName = keyof typeof PORTS;

/** The Kubernetes NodePort range (kube-apiserver's default --service-node-port-range). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** Ports that must never be reachable from outside the VPC. */
export function clusterOnlyPorts(): Array<[PortName, PortEntry]> {
  return (Object.entries(PORTS) as Array<[PortName, PortEntry]>).filter(([, p]) => p.reach === "cluster");
}

/** The last port of an entry (the port itself for a single port). */
export function lastPort(p: Pick<PortEntry, "port" | "toPort">): number {
  return p.toPort ?? p.port;
}

/** True when `port` falls inside the entry's range. */
export function covers(p: PortEntry, port: number): boolean {
  return port >= p.port && port <= lastPort(p);
}
