/**
 * Workload identity: the contract between the cluster stack, which runs a
 * service-account issuer that AWS STS trusts (stacks/cluster/service-account-issuer.ts),
 * and the platform stack, whose pods assume IAM roles with projected
 * service-account tokens (AssumeRoleWithWebIdentity).
 */

/** The audience STS requires in a web-identity token, and the OIDC provider's client ID. */
export const STS_AUDIENCE = "sts.amazonaws.com";

/**
 * Where OIDC discovery looks, relative to the issuer URL (OpenID Connect
 * Discovery 1.0; kube-apiserver serves both at these paths, and names the
 * second as `jwks_uri` because kubeadm-config.ts sets --service-account-jwks-uri
 * to it: by default it names the API server's own address). They are the bucket's
 * object keys, since the issuer URL is the bucket's root.
 */
export const OIDC_DOCUMENT_KEYS = {
  discovery: ".well-known/openid-configuration",
  jwks: "openid/v1/jwks",
} as const;

/** Where a pod finds its projected web-identity token (the path the AWS SDKs are pointed at). */
export const WEB_IDENTITY_TOKEN = {
  volumeName: "aws-web-identity-token",
  mountPath: "/var/run/secrets/k8s-mesh/aws",
  fileName: "token",
  /** Seconds the kubelet asks for; it refreshes the file at 80 % of that. */
  expirationSeconds: 86400,
} as const;

/** `system:serviceaccount:<namespace>:<name>`, the `sub` of a service account's tokens. */
export function serviceAccountSubject(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * The trust policy of a role that one service account assumes by web
 * identity: the cluster's OIDC provider, that exact subject, and the STS
 * audience (a token minted for any other audience is refused).
 */
export function webIdentityTrustPolicy(providerArn: string, issuerHost: string, namespace: string, serviceAccount: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ServiceAccountByWebIdentity",
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuerHost}:sub`]: serviceAccountSubject(namespace, serviceAccount),
            [`${issuerHost}:aud`]: STS_AUDIENCE,
          },
        },
      },
    ],
  };
}
