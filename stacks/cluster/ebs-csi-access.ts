import { Construct } from "constructs";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { Config } from "../../lib/config";
import { ebsCsiPolicy } from "../../lib/storage";
import type { NodeRole } from "./node-roles";

export interface EbsCsiAccessProps {
  readonly config: Config;
  /** The role of the nodes the EBS CSI controller runs on (the control plane). */
  readonly role: NodeRole;
}

/**
 * The EBS CSI controller's AWS permissions, on the role of the node it runs
 * on: the control plane (the platform stack pins the controller there). The
 * policy is the platform's contract (`ebsCsiPolicy` in lib/storage.ts): every
 * write limited to this region and to volumes and instances tagged for this
 * cluster. The workers' node plugin makes no AWS call that needs a grant
 * (it reads instance metadata only), so the worker role gets nothing.
 */
export class EbsCsiAccess extends Construct {
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: EbsCsiAccessProps) {
    super(scope, id);
    this.policy = new IamRolePolicy(this, "policy", {
      role: props.role.role.id,
      name: "ebs-csi-controller",
      policy: JSON.stringify(ebsCsiPolicy(props.config)),
    });
  }
}
