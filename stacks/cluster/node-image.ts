import { Construct } from "constructs";
import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import { UBUNTU } from "../../lib/versions";

export type CpuArchitecture = "amd64" | "arm64";

/** AWS Graviton families (`t4g`, `m7g`, `c6gn`, `a1`) run arm64; everything else here amd64. */
export function architectureOf(instanceType: string): CpuArchitecture {
  return /^(a1|[a-z]+\d+g[a-z]*)\./.test(instanceType) ? "arm64" : "amd64";
}

export interface NodeImageProps {
  readonly architecture: CpuArchitecture;
}

/**
 * The newest Canonical Ubuntu LTS server AMI (release from lib/versions.ts).
 * Read at every plan, but a running node never follows it: the instance and
 * the launch template ignore image changes until config.cluster.nodeGeneration
 * is bumped (see node-generation.ts).
 */
export class NodeImage extends Construct {
  readonly ami: DataAwsAmi;

  constructor(scope: Construct, id: string, props: NodeImageProps) {
    super(scope, id);
    this.ami = new DataAwsAmi(this, "ami", {
      owners: [UBUNTU.amiOwner],
      mostRecent: true,
      filter: [
        { name: "name", values: [`ubuntu/images/hvm-ssd*/ubuntu-${UBUNTU.codename}-${UBUNTU.release}-${props.architecture}-server-*`] },
        { name: "virtualization-type", values: ["hvm"] },
        { name: "root-device-type", values: ["ebs"] },
      ],
    });
  }
}
