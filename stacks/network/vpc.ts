import { Construct } from "constructs";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import type { Config } from "../../lib/config";
import { clusterTag, resourceName } from "../../lib/naming";

export interface ClusterVpcProps {
  readonly config: Config;
}

/**
 * The VPC with one public subnet per availability zone, an internet gateway
 * and a route table sending everything else to it.
 *
 * Nodes live in these public subnets with public IPv4 addresses: they need
 * the internet while booting (apt, pkgs.k8s.io, image registries, SSM,
 * grafana.com) and the NodePorts are reached on their addresses. The security
 * groups are the boundary. This is the accepted finding AVD-AWS-0164
 * (subnet assigns public IPs): see the README's security section.
 */
export class ClusterVpc extends Construct {
  readonly vpc: Vpc;
  readonly subnets: Subnet[];

  constructor(scope: Construct, id: string, props: ClusterVpcProps) {
    super(scope, id);
    const { config } = props;

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: config.network.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: resourceName(config, "vpc") },
    });

    // CKV2_AWS_12: the default security group allows nothing (no rules at all).
    new DefaultSecurityGroup(this, "default-sg", {
      vpcId: this.vpc.id,
      tags: { Name: resourceName(config, "default-deny-all") },
    });

    const igw = new InternetGateway(this, "igw", {
      vpcId: this.vpc.id,
      tags: { Name: resourceName(config, "igw") },
    });

    const routes = new RouteTable(this, "public-routes", {
      vpcId: this.vpc.id,
      tags: { Name: resourceName(config, "public") },
    });
    new Route(this, "default-route", {
      routeTableId: routes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });

    this.subnets = config.network.publicSubnetCidrs.map((cidr, i) => {
      const az = config.availabilityZones[i] as string;
      const subnet = new Subnet(this, `public-${i}`, {
        vpcId: this.vpc.id,
        cidrBlock: cidr,
        availabilityZone: az,
        // AVD-AWS-0164 accepted: nodes need public addresses (see class comment).
        mapPublicIpOnLaunch: true,
        tags: { Name: resourceName(config, "public", az), ...clusterTag(config) },
      });
      new RouteTableAssociation(this, `public-${i}-routes`, { subnetId: subnet.id, routeTableId: routes.id });
      return subnet;
    });
  }
}
