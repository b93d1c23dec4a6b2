import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { NetworkInterface } from "@cdktf/provider-aws/lib/network-interface";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { StaticResource } from "@cdktf/provider-time/lib/static-resource";
import type { Config } from "../../lib/config";
import { clusterTag, resourceName } from "../../lib/naming";
import type { NodeRole } from "./node-roles";
import { NODE_METADATA_OPTIONS, ROOT_VOLUME } from "./node-settings";
import { controlPlanePrivateIp, parameterNames } from "./settings";
import { controlPlaneUserDataBase64 } from "./userdata/bootstrap";

export interface ControlPlaneProps {
  readonly config: Config;
  /** Subnet of the fixed private address (the first public subnet). */
  readonly subnetId: string;
  /** The cluster and control-plane security groups. */
  readonly securityGroupIds: string[];
  readonly amiId: string;
  readonly role: NodeRole;
  /** What must exist before the instance boots (the SSM parameters it reads, its other grants). */
  readonly bootDependencies: ITerraformDependable[];
  /** Replacing this resource replaces the instance (config.cluster.nodeGeneration). */
  readonly generation: StaticResource;
}

/**
 * The control plane, whose addresses are fixed before it boots: a network
 * interface with a fixed private IP (the kubeadm controlPlaneEndpoint) and an
 * Elastic IP on that interface (in the API server certificate; admins and
 * Terraform connect to it). The instance is launched on the interface.
 *
 * The Elastic IP reaches the bootstrap through an SSM parameter written
 * before the instance starts, so the user-data holds no Terraform value and
 * is sent gzip-compressed.
 *
 * A newer AMI or an edited user-data never replaces the instance; bumping
 * config.cluster.nodeGeneration does. Replacing the control plane starts a
 * new, empty cluster: etcd lives on its root volume.
 */
export class ControlPlane extends Construct {
  readonly privateIp: string;
  readonly eip: Eip;
  readonly instance: Instance;

  constructor(scope: Construct, id: string, props: ControlPlaneProps) {
    super(scope, id);
    const { config } = props;
    const name = resourceName(config, "control-plane");
    this.privateIp = controlPlanePrivateIp(config);

    const eni = new NetworkInterface(this, "eni", {
      subnetId: props.subnetId,
      privateIps: [this.privateIp],
      securityGroups: props.securityGroupIds,
      description: `Kubernetes control plane of ${config.name} (fixed address ${this.privateIp})`,
      tags: { Name: name },
    });
    this.eip = new Eip(this, "eip", {
      domain: "vpc",
      networkInterface: eni.id,
      associateWithPrivateIp: this.privateIp,
      tags: { Name: name },
    });

    const publicIpParameter = new SsmParameter(this, "public-ip", {
      name: parameterNames(config).controlPlanePublicIp,
      description: `Elastic IP of the ${config.name} control plane (in the API server certificate)`,
      type: "String",
      value: this.eip.publicIp,
    });
    const readPublicIp = new IamRolePolicy(this, "read-public-ip", {
      role: props.role.role.id,
      name: "control-plane-public-ip",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "ReadPublicIp", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [publicIpParameter.arn] }],
      }),
    });

    this.instance = new Instance(this, "instance", {
      ami: props.amiId,
      instanceType: config.cluster.controlPlane.instanceType,
      iamInstanceProfile: props.role.instanceProfile.name,
      primaryNetworkInterface: { networkInterfaceId: eni.id },
      keyName: config.access.sshKeyName ?? undefined,
      userDataBase64: controlPlaneUserDataBase64(config),
      userDataReplaceOnChange: false,
      ebsOptimized: true,
      metadataOptions: NODE_METADATA_OPTIONS,
      rootBlockDevice: { ...ROOT_VOLUME, volumeSize: config.cluster.controlPlane.rootVolumeGiB, tags: { Name: name } },
      tags: { Name: name, "k8s-mesh/role": "control-plane", ...clusterTag(config) },
      dependsOn: [...props.bootDependencies, ...props.role.grants, this.eip, publicIpParameter, readPublicIp],
      lifecycle: {
        ignoreChanges: ["ami", "user_data", "user_data_base64"],
        replaceTriggeredBy: [props.generation],
      },
    });
  }
}
