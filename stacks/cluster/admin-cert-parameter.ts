import { Construct } from "constructs";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { Config } from "../../lib/config";
import type { NodeRole } from "./node-roles";
import { parameterNames } from "./settings";

export interface AdminCertParameterProps {
  readonly config: Config;
  /** PEM of the Terraform admin certificate (public: the key never leaves Terraform). */
  readonly adminCertPem: string;
  readonly controlPlaneRole: NodeRole;
}

/**
 * The Terraform admin certificate's PEM in a plain String parameter, which
 * every deploy keeps current, and the control plane's right to read it: the
 * certificate renewal timer exports its expiry for the alerts
 * (lib/certificates.ts). A certificate without its key grants nothing.
 */
export class AdminCertParameter extends Construct {
  readonly parameter: SsmParameter;
  readonly grant: IamRolePolicy;

  constructor(scope: Construct, id: string, props: AdminCertParameterProps) {
    super(scope, id);
    const { config } = props;
    this.parameter = new SsmParameter(this, "parameter", {
      name: parameterNames(config).adminCert,
      description: `Certificate (public) of the Terraform admin identity of ${config.name}, for its expiry alert`,
      type: "String",
      value: props.adminCertPem,
    });
    this.grant = new IamRolePolicy(this, "read", {
      role: props.controlPlaneRole.role.id,
      name: "admin-cert-expiry",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "ReadAdminCertificate", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [this.parameter.arn] }],
      }),
    });
  }
}
