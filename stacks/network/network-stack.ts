import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import type { Config } from "../../lib/config";
import { ProjectStack, STACK_NAMES } from "../../lib/stack-base";
import { AdminCidrs } from "./admin-cidrs";
import { ClusterVpc } from "./vpc";
import { VpcFlowLogs } from "./flow-logs";
import { ClusterSecurityGroups } from "./security-groups";
import { Preflight } from "./preflight";

/** What the network stack hands to the cluster stack. */
export interface NetworkOutputs {
  readonly vpcId: string;
  /** Public subnet ids, in the order of config.availabilityZones. */
  readonly subnetIds: string[];
  /** On every node. */
  readonly clusterSecurityGroupId: string;
  /** On the control plane only (API server from admin CIDRs). */
  readonly controlPlaneSecurityGroupId: string;
}

export class NetworkStack extends ProjectStack {
  readonly outputs: NetworkOutputs;

  constructor(scope: Construct, config: Config) {
    super(scope, STACK_NAMES.network, config);

    // Read first by every deploy: a zone, instance type or quota the account
    // cannot give fails the plan before anything is created.
    new Preflight(this, "preflight", { config });
    const network = new ClusterVpc(this, "vpc", { config });
    if (config.network.flowLogs.enabled) {
      new VpcFlowLogs(this, "flow-logs", { config, vpcId: network.vpc.id });
    }
    const admin = new AdminCidrs(this, "admin-cidrs", { config });
    const groups = new ClusterSecurityGroups(this, "security-groups", {
      config,
      vpcId: network.vpc.id,
      adminCidrs: admin.cidrs,
    });

    this.outputs = {
      vpcId: network.vpc.id,
      subnetIds: network.subnets.map((s) => s.id),
      clusterSecurityGroupId: groups.cluster.id,
      controlPlaneSecurityGroupId: groups.controlPlane.id,
    };

    new TerraformOutput(this, "admin_cidrs", {
      value: admin.cidrs,
      description: "Addresses allowed to reach the API server and NodePorts",
    });
  }
}
