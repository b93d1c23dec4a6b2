/**
 * Offline stand-ins for the scanner rules (checkov, trivy/tfsec) that cannot
 * run here. Each reads a synthesized stack and returns its violations; the
 * tests run each on the real stacks (no violation) and on a deliberately bad
 * stack (the violation is reported), so none of them can pass vacuously.
 */
import { clusterOnlyPorts, lastPort } from "../../lib/ports";
import type { SynthesizedStack } from "./synth";

type Resource = Record<string, unknown>;

interface FlatIngress {
  readonly id: string;
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidr?: string;
  readonly description?: string;
}

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

/** Every ingress rule in a stack, from standalone rule resources and inline security-group blocks. */
export function ingressRulesOf(stack: SynthesizedStack): FlatIngress[] {
  const res = stack.tf.resource ?? {};
  const flat: FlatIngress[] = [];
  const num = (v: unknown, dflt: number) => (typeof v === "number" ? v : dflt);
  for (const [id, r] of Object.entries(res["aws_vpc_security_group_ingress_rule"] ?? {})) {
    const all = r.ip_protocol === "-1";
    flat.push({
      id,
      protocol: String(r.ip_protocol),
      fromPort: all ? 0 : num(r.from_port, 0),
      toPort: all ? 65535 : num(r.to_port, 65535),
      ...(typeof r.cidr_ipv4 === "string" ? { cidr: r.cidr_ipv4 } : {}),
      ...(typeof r.cidr_ipv6 === "string" ? { cidr: r.cidr_ipv6 } : {}),
      ...(typeof r.description === "string" ? { description: r.description } : {}),
    });
  }
  for (const [id, r] of Object.entries(res["aws_security_group_rule"] ?? {})) {
    if (r.type !== "ingress") continue;
    for (const cidr of [...((r.cidr_blocks as string[]) ?? []), ...((r.ipv6_cidr_blocks as string[]) ?? [])]) {
      flat.push({ id, protocol: String(r.protocol), fromPort: num(r.from_port, 0), toPort: num(r.to_port, 65535), cidr, ...(typeof r.description === "string" ? { description: r.description } : {}) });
    }
  }
  for (const [id, sg] of Object.entries(res["aws_security_group"] ?? {})) {
    for (const block of (sg.ingress as Resource[] | undefined) ?? []) {
      for (const cidr of (block.cidr_blocks as string[] | undefined) ?? []) {
        flat.push({ id: `${id}.ingress`, protocol: String(block.protocol), fromPort: num(block.from_port, 0), toPort: num(block.to_port, 65535), cidr, ...(typeof block.description === "string" ? { description: block.description } : {}) });
      }
    }
  }
  return flat;
}

function covers(rule: FlatIngress, port: number): boolean {
  return (rule.protocol === "-1" || rule.protocol === "tcp" || rule.protocol === "udp" || rule.protocol === "6" || rule.protocol === "17") &&
    port >= rule.fromPort && port <= rule.toPort;
}

/**
 * CKV_AWS_24 / CKV_AWS_277 / AVD-AWS-0107: no ingress from the whole internet,
 * except to the given ports (the NodePorts, when config explicitly allows it).
 */
export function worldIngressViolations(stack: SynthesizedStack, allowedWorldPorts: readonly number[] = []): string[] {
  return ingressRulesOf(stack)
    .filter((r) => r.cidr !== undefined && WORLD.has(r.cidr))
    .filter((r) => !(r.fromPort === r.toPort && r.protocol !== "-1" && allowedWorldPorts.includes(r.fromPort)))
    .map((r) => `${r.id}: ${r.protocol} ${r.fromPort}-${r.toPort} open to ${r.cidr}`);
}

/** CKV_AWS_23 / AVD-AWS-0099 / AVD-AWS-0124: every security group and rule says what it is for. */
export function missingDescriptionViolations(stack: SynthesizedStack): string[] {
  const res = stack.tf.resource ?? {};
  const out: string[] = [];
  for (const type of ["aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"]) {
    for (const [id, r] of Object.entries(res[type] ?? {})) {
      if (typeof r.description !== "string" || r.description.trim() === "") out.push(`${type}.${id} has no description`);
    }
  }
  return out;
}

/** CKV2_AWS_12: the VPC's default security group is managed and allows nothing. */
export function defaultSecurityGroupViolations(stack: SynthesizedStack): string[] {
  const groups = Object.entries(stack.tf.resource?.["aws_default_security_group"] ?? {});
  if (groups.length === 0) return ["the default security group is not managed (it keeps AWS's allow rules)"];
  return groups.flatMap(([id, g]) =>
    ["ingress", "egress"].filter((k) => Array.isArray(g[k]) && (g[k] as unknown[]).length > 0).map((k) => `aws_default_security_group.${id} has ${k} rules`),
  );
}

/**
 * Kubelet, etcd, controller-manager, scheduler and metrics ports are never
 * reachable from any CIDR: only from the cluster's own security group.
 */
export function clusterPortExposureViolations(stack: SynthesizedStack): string[] {
  const out: string[] = [];
  for (const rule of ingressRulesOf(stack).filter((r) => r.cidr !== undefined)) {
    for (const [name, entry] of clusterOnlyPorts()) {
      for (let port = entry.port; port <= lastPort(entry); port++) {
        if (covers(rule, port)) out.push(`${rule.id}: ${name} port ${port} reachable from ${rule.cidr}`);
      }
    }
  }
  return [...new Set(out)];
}

/** Groups whose members no RBAC change can demote (system:masters) or that kubeadm manages itself. */
const UNREVOCABLE_GROUPS = new Set(["system:masters", "kubeadm:cluster-admins"]);

/**
 * CIS Kubernetes Benchmark v1.9.0, 5.1.7 (avoid use of the system:masters
 * group), with 3.1.1's concern (client certificates cannot be revoked) met by
 * a short lifetime and a group only a ClusterRoleBinding empowers: every
 * client certificate Terraform issues names a group of the project's own,
 * lives at most `maxHours`, and is re-issued by a deploy before it expires.
 */
export function adminCertificateViolations(stack: SynthesizedStack, maxHours: number): string[] {
  const res = stack.tf.resource ?? {};
  const out: string[] = [];
  for (const [id, r] of Object.entries(res["tls_cert_request"] ?? {})) {
    for (const subject of (r.subject as Resource[] | undefined) ?? []) {
      const orgs = ([] as unknown[]).concat(subject.organization ?? []);
      for (const o of orgs) if (UNREVOCABLE_GROUPS.has(String(o))) out.push(`tls_cert_request.${id} puts the holder in ${String(o)}, which no binding can revoke`);
    }
  }
  for (const [id, r] of Object.entries(res["tls_locally_signed_cert"] ?? {})) {
    const uses = (r.allowed_uses as string[] | undefined) ?? [];
    if (!uses.includes("client_auth") || uses.includes("cert_signing")) continue;
    const hours = Number(r.validity_period_hours);
    if (!(hours <= maxHours)) out.push(`tls_locally_signed_cert.${id} lives ${String(r.validity_period_hours)} hours (at most ${maxHours})`);
    const early = Number(r.early_renewal_hours ?? 0);
    if (!(early > 0 && early < hours)) out.push(`tls_locally_signed_cert.${id} is never re-issued by a deploy before it expires (early_renewal_hours ${String(r.early_renewal_hours)})`);
  }
  return out;
}
