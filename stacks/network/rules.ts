/**
 * Security-group rules as data, derived from the port table and config.
 * One entry per rule with a stable key, so adding a rule or an admin CIDR
 * never renames the others.
 */
import type { Config } from "../../lib/config";
import { lastPort, PORTS, type PortEntry } from "../../lib/ports";

export type SecurityGroupRole = "cluster" | "controlPlane";

export type Peer =
  | { readonly kind: "self" }
  | { readonly kind: "cidr"; readonly cidr: string };

export interface IngressRule {
  /** Stable key: the construct id of the rule. */
  readonly key: string;
  readonly group: SecurityGroupRole;
  /** `-1` means every protocol and port. */
  readonly protocol: "tcp" | "udp" | "-1";
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly peer: Peer;
  readonly description: string;
}

export const WORLD = "0.0.0.0/0";

/** What the cluster security group's self rule carries, for its description and the docs. */
export const NODE_TO_NODE_PURPOSE =
  `All traffic between cluster nodes: kubelet ${PORTS.kubelet.port} (logs/exec/port-forward), ` +
  `Flannel VXLAN ${PORTS.flannelVxlan.port}/udp (pod overlay, incl. Linkerd webhooks ${PORTS.linkerdWebhook.port}/${PORTS.linkerdPolicyWebhook.port}), ` +
  `API ${PORTS.kubeApiServer.port}, etcd, metrics`;

/** A construct-id-safe form of a CIDR (`10.0.0.0/8` → `10.0.0.0_8`); a plan-time value gets its index. */
function cidrKey(cidr: string, index: number): string {
  return cidr.includes("${") ? `detected-${index}` : cidr.replace(/[/.]/g, "_");
}

function fromCidrs(
  keyPrefix: string,
  group: SecurityGroupRole,
  port: Pick<PortEntry, "port" | "toPort" | "protocol">,
  cidrs: readonly string[],
  description: string,
): IngressRule[] {
  return cidrs.map((cidr, i) => ({
    key: `${keyPrefix}-from-${cidrKey(cidr, i)}`,
    group,
    protocol: port.protocol,
    fromPort: port.port,
    toPort: lastPort(port),
    peer: { kind: "cidr", cidr },
    description,
  }));
}

/**
 * Every ingress rule of the two security groups.
 * - cluster (all nodes): everything from the other nodes; the NodePorts from
 *   the admin CIDRs (or the world when config allows); SSH when configured.
 * - controlPlane: the API server from the admin CIDRs.
 * No other port is reachable from outside the VPC.
 */
export function ingressRules(config: Config, adminCidrs: readonly string[]): IngressRule[] {
  const nodePortSources = config.access.allowPublicNodePorts ? [WORLD] : adminCidrs;
  const rules: IngressRule[] = [
    { key: "nodes-all-from-nodes", group: "cluster", protocol: "-1", peer: { kind: "self" }, description: NODE_TO_NODE_PURPOSE },
    ...fromCidrs("api-server", "controlPlane", PORTS.kubeApiServer, adminCidrs, `${PORTS.kubeApiServer.description}, from admin CIDRs`),
    ...fromCidrs(
      "nodeport-bookinfo",
      "cluster",
      { ...PORTS.bookinfoNodePort, port: config.nodePorts.bookinfo },
      nodePortSources,
      `${PORTS.bookinfoNodePort.description} ${config.nodePorts.bookinfo}`,
    ),
    ...fromCidrs(
      "nodeport-grafana",
      "cluster",
      { ...PORTS.grafanaNodePort, port: config.nodePorts.grafana },
      nodePortSources,
      `${PORTS.grafanaNodePort.description} ${config.nodePorts.grafana}`,
    ),
  ];
  if (config.access.sshKeyName !== null) {
    rules.push(...fromCidrs("ssh", "cluster", PORTS.ssh, adminCidrs, "SSH from admin CIDRs (key pair configured)"));
  }
  return rules;
}
