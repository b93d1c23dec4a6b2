/**
 * The EBS CSI controller's AWS identity, with no long-lived key anywhere: an
 * IAM role whose only permissions are `ebsCsiPolicy(config)` (every write
 * limited to this region and to volumes and instances tagged for this
 * cluster), assumed by web identity with the controller's projected
 * service-account token (audience `sts.amazonaws.com`), which the cluster's
 * service-account issuer signs and AWS STS verifies against the public JWKS
 * (stacks/cluster/service-account-issuer.ts).
 *
 * The trust policy names the cluster's OIDC provider, exactly the
 * controller's service account and the STS audience: no other pod, and no
 * token minted for another audience, can take the role. Tokens live a day and
 * the kubelet refreshes them; STS credentials last an hour.
 *
 * Before anything is installed, the plan reads the issuer's two documents
 * over HTTPS, as STS will, and stops with a message when they are not
 * publicly readable (an account or organization that blocks public S3
 * objects) or name another issuer: otherwise the driver would start and fail
 * on its first AWS call, and volumes would stay Pending without a word.
 */
import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { DataHttp } from "@cdktf/provider-http/lib/data-http";
import { HttpProvider } from "@cdktf/provider-http/lib/provider";
import type { Config } from "../../lib/config";
import { resourceName } from "../../lib/naming";
import { ebsCsiPolicy } from "../../lib/storage";
import { OIDC_DOCUMENT_KEYS, webIdentityTrustPolicy } from "../../lib/workload-identity";
import type { ClusterOutputs } from "../cluster/outputs";

/** The controller's service account: the chart's default name (controller.serviceAccount.name, aws-ebs-csi-driver 2.53.0). */
export const EBS_CSI_CONTROLLER_SERVICE_ACCOUNT = "ebs-csi-controller-sa";

/** Where the plan-time check sends a reader who meets a blocked issuer. */
export const ISSUER_DOCS = "docs/platform.md (Workload identity)";

export interface EbsCsiIdentityProps {
  readonly config: Config;
  readonly cluster: ClusterOutputs;
  /** Namespace of the driver (and so of its service account). */
  readonly namespace: string;
}

export class EbsCsiIdentity extends Construct {
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  /** The anonymous reads of the discovery document and JWKS (postconditions). */
  readonly issuerChecks: DataHttp[];

  constructor(scope: Construct, id: string, props: EbsCsiIdentityProps) {
    super(scope, id);
    const { config, cluster } = props;
    const issuer = `https://${cluster.serviceAccountIssuerHost}`;

    const http = new HttpProvider(this, "http");
    const fetch = (name: string, key: string, extra: Array<{ condition: string; errorMessage: string }>) =>
      new DataHttp(this, name, {
        provider: http,
        url: `${issuer}/${key}`,
        retry: { attempts: 3, minDelayMs: 2000 },
        lifecycle: {
          postcondition: [
            {
              condition: "${self.status_code == 200}",
              errorMessage:
                `The service-account issuer document ${issuer}/${key} is not publicly readable (HTTP \${self.status_code}). ` +
                "AWS STS must read it anonymously, or no pod can assume a role and the EBS CSI driver cannot create volumes. " +
                "Most likely S3 Block Public Access is on for the account (RestrictPublicBuckets or BlockPublicPolicy; " +
                "`aws s3control get-public-access-block --account-id <id>`) or by an organization policy; " +
                `or the control plane has not uploaded it yet (journalctl on the control plane). See ${ISSUER_DOCS}.`,
            },
            ...extra,
          ],
        },
      });
    this.issuerChecks = [
      fetch("issuer-discovery", OIDC_DOCUMENT_KEYS.discovery, [
        {
          condition: `\${try(jsondecode(self.response_body).issuer, "") == "${issuer}"}`,
          errorMessage:
            `The discovery document at ${issuer}/${OIDC_DOCUMENT_KEYS.discovery} names another issuer: ` +
            `the API server does not sign tokens as ${issuer} (a cluster created before the S3 issuer; see ${ISSUER_DOCS}, "Moving an existing cluster").`,
        },
      ]),
      fetch("issuer-jwks", OIDC_DOCUMENT_KEYS.jwks, [
        {
          condition: "${length(try(jsondecode(self.response_body).keys, [])) > 0}",
          errorMessage: `The JWKS at ${issuer}/${OIDC_DOCUMENT_KEYS.jwks} holds no key: STS could verify no token. See ${ISSUER_DOCS}.`,
        },
      ]),
    ];

    this.role = new IamRole(this, "role", {
      name: resourceName(config, "ebs-csi-controller"),
      description: `EBS CSI controller of ${config.name}, assumed by web identity by ${props.namespace}/${EBS_CSI_CONTROLLER_SERVICE_ACCOUNT}`,
      assumeRolePolicy: JSON.stringify(
        webIdentityTrustPolicy(cluster.oidcProviderArn, cluster.serviceAccountIssuerHost, props.namespace, EBS_CSI_CONTROLLER_SERVICE_ACCOUNT),
      ),
      maxSessionDuration: 3600,
      dependsOn: this.issuerChecks,
    });
    // Inline: it lives and dies with the role.
    this.policy = new IamRolePolicy(this, "policy", {
      role: this.role.id,
      name: "ebs-csi-controller",
      policy: JSON.stringify(ebsCsiPolicy(config)),
    });
  }
}
