import { Construct } from "constructs";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import type { Config } from "../../lib/config";
import { resourceName } from "../../lib/naming";
import { ingressRules, type SecurityGroupRole, WORLD } from "./rules";

export interface ClusterSecurityGroupsProps {
  readonly config: Config;
  readonly vpcId: string;
  readonly adminCidrs: readonly string[];
}

/**
 * Two security groups, their rules standalone resources built from `rules.ts`:
 * - `cluster`, on every node: node-to-node traffic, NodePorts, optional SSH,
 *   and egress to the internet (packages, images, SSM);
 * - `controlPlane`, on the control plane only: the API server for admins.
 */
export class ClusterSecurityGroups extends Construct {
  readonly cluster: SecurityGroup;
  readonly controlPlane: SecurityGroup;

  constructor(scope: Construct, id: string, props: ClusterSecurityGroupsProps) {
    super(scope, id);
    const { config, vpcId } = props;

    this.cluster = new SecurityGroup(this, "cluster", {
      name: resourceName(config, "nodes"),
      description: "Kubernetes nodes: node-to-node traffic, NodePorts from admin CIDRs",
      vpcId,
      tags: { Name: resourceName(config, "nodes") },
    });
    this.controlPlane = new SecurityGroup(this, "control-plane", {
      name: resourceName(config, "control-plane"),
      description: "Kubernetes control plane: API server from admin CIDRs",
      vpcId,
      tags: { Name: resourceName(config, "control-plane") },
    });
    const groups: Record<SecurityGroupRole, SecurityGroup> = { cluster: this.cluster, controlPlane: this.controlPlane };

    for (const rule of ingressRules(config, props.adminCidrs)) {
      const group = groups[rule.group];
      new VpcSecurityGroupIngressRule(this, rule.key, {
        securityGroupId: group.id,
        description: rule.description,
        ipProtocol: rule.protocol,
        ...(rule.protocol === "-1" ? {} : { fromPort: rule.fromPort, toPort: rule.toPort }),
        ...(rule.peer.kind === "self" ? { referencedSecurityGroupId: group.id } : { cidrIpv4: rule.peer.cidr }),
        tags: { Name: resourceName(config, rule.key) },
      });
    }

    new VpcSecurityGroupEgressRule(this, "nodes-egress-all", {
      securityGroupId: this.cluster.id,
      description: "Nodes reach the internet: apt, pkgs.k8s.io, image registries, SSM, grafana.com",
      ipProtocol: "-1",
      cidrIpv4: WORLD,
      tags: { Name: resourceName(config, "nodes-egress-all") },
    });
  }
}
