/**
 * Workload identity without long-lived keys: the cluster's service-account
 * issuer (signing key from Terraform, public discovery documents in S3, the
 * IAM OIDC provider) and the EBS CSI controller's role, assumed by web
 * identity. The control plane's side (sa.key, --service-account-issuer, the
 * uploads) runs in cluster-userdata-run.test.ts.
 *
 * Scanner rules these stand in for: checkov CKV_AWS_273 / CIS AWS
 * Foundations 1.x (no IAM users with access keys for workloads), CKV_AWS_70
 * (no bucket policy granting `*` broadly: here exactly two objects, read
 * only), CKV_AWS_53/54/55/56 (public access block; deliberately relaxed for
 * the policy and kept for ACLs on this one bucket), and the subject/audience
 * pinning checkov's CKV_AWS_358 asks of GitHub's OIDC trust, applied to this
 * provider.
 */
import { parse } from "yaml";
import { RELEASES } from "../lib/k8s-names";
import { resourceName } from "../lib/naming";
import { ebsCsiPolicy } from "../lib/storage";
import { loadChartKeys, unknownValuePaths } from "../lib/chart-values";
import { OIDC_DOCUMENT_KEYS, STS_AUDIENCE, WEB_IDENTITY_TOKEN } from "../lib/workload-identity";
import { EBS_CSI_NAMESPACE, ebsCsiDriverValues, WEB_IDENTITY_TOKEN_FILE } from "../stacks/platform/ebs-csi-driver";
import { EBS_CSI_CONTROLLER_SERVICE_ACCOUNT } from "../stacks/platform/ebs-csi-identity";
import { parameterNames } from "../stacks/cluster/settings";
import { dataOf, oneResource, onlyResource, releaseNamed, resourcesOf, synthApp, type SynthesizedStack } from "./helpers/synth";
import type { ProjectStacks } from "../main";
import type { Construct } from "constructs";
import type { TerraformResource } from "cdktf";

type Json = Record<string, any>;
const app = synthApp({});
const { config } = app;
const cluster = app.stack("cluster");
const platform = app.stack("platform");

/** Public grants of every bucket policy in a stack: `Allow` statements whose principal is everyone. */
function publicGrants(stack: SynthesizedStack): Array<{ id: string; actions: string[]; resources: string[] }> {
  return Object.entries(resourcesOf(stack, "aws_s3_bucket_policy")).flatMap(([id, r]) =>
    (JSON.parse(String(r.policy)).Statement as Json[])
      .filter((st) => st.Effect === "Allow" && (st.Principal === "*" || st.Principal?.AWS === "*"))
      .map((st) => ({ id, actions: [st.Action].flat(), resources: [st.Resource].flat() })),
  );
}

/** CKV_AWS_70 stand-in: public grants other than reading the issuer's two documents. */
function publicBucketViolations(stack: SynthesizedStack): string[] {
  const allowed = Object.values(OIDC_DOCUMENT_KEYS);
  return publicGrants(stack).flatMap((g) => [
    ...g.actions.filter((a) => a !== "s3:GetObject").map((a) => `${g.id}: public ${a}`),
    ...g.resources.filter((r) => !allowed.some((k) => r.endsWith(`}/${k}`))).map((r) => `${g.id}: public read of ${r}`),
  ]);
}

/** Web-identity trust without the subject and audience pinned (any pod, any audience could assume the role). */
function trustViolations(stack: SynthesizedStack): string[] {
  return Object.entries(resourcesOf(stack, "aws_iam_role")).flatMap(([id, r]) =>
    (JSON.parse(String(r.assume_role_policy)).Statement as Json[])
      .filter((st) => [st.Action].flat().includes("sts:AssumeRoleWithWebIdentity"))
      .flatMap((st) => {
        const eq = (st.Condition?.StringEquals ?? {}) as Record<string, string>;
        const sub = Object.entries(eq).find(([k]) => k.endsWith(":sub"))?.[1];
        const aud = Object.entries(eq).find(([k]) => k.endsWith(":aud"))?.[1];
        return [
          ...(typeof sub === "string" && /^system:serviceaccount:[^:*]+:[^:*]+$/.test(sub) ? [] : [`${id}: subject not pinned to one service account (${String(sub)})`]),
          ...(aud === STS_AUDIENCE ? [] : [`${id}: audience not pinned to ${STS_AUDIENCE} (${String(aud)})`]),
        ];
      }),
  );
}

function part(stacks: ProjectStacks, stack: "cluster" | "platform", ...path: string[]): TerraformResource {
  let c: Construct = stacks[stack];
  for (const p of path) c = c.node.findChild(p) as Construct;
  return c as TerraformResource;
}

describe("no long-lived AWS key anywhere", () => {
  it("no stack has an IAM user, an access key, or a Secret holding AWS credentials", () => {
    for (const name of ["network", "cluster", "platform", "apps"] as const) {
      const stack = app.stack(name);
      for (const type of ["aws_iam_user", "aws_iam_access_key", "aws_iam_user_policy"]) expect({ name, type, found: Object.keys(resourcesOf(stack, type)) }).toEqual({ name, type, found: [] });
      for (const s of Object.values(resourcesOf(stack, "kubernetes_secret_v1"))) expect(JSON.stringify(s)).not.toMatch(/aws_iam_access_key|access_key|AWS_SECRET/i);
    }
    const values = parse((releaseNamed(platform, RELEASES.awsEbsCsiDriver).body.values as string[])[0] as string) as Json;
    expect(values.awsAccessSecret).toBeUndefined();
  });
});

describe("the cluster's service-account issuer", () => {
  const bucketId = Object.keys(resourcesOf(cluster, "aws_s3_bucket")).find((id) => id.includes("service-account-issuer")) as string;
  const bucketRef = `\${aws_s3_bucket.${bucketId}`;

  it("generates the signing key with Terraform and keeps it in a SecureString under the cluster key, decryptable by the control plane alone", () => {
    const key = onlyResource(cluster, "tls_private_key", "service-account");
    expect(key.body).toMatchObject({ algorithm: "RSA", rsa_bits: 2048 });
    const param = oneResource(cluster, "aws_ssm_parameter", "signing-key-parameter");
    expect(param).toMatchObject({ name: parameterNames(config).serviceAccountKey, type: "SecureString", value: `\${${key.address}.private_key_pem}` });
    expect(String(param.key_id)).toMatch(/^\$\{aws_kms_key\..*\.arn\}$/);
    const policy = JSON.parse(String(oneResource(cluster, "aws_kms_key").policy)) as Json;
    const grant = (policy.Statement as Json[]).find((s) => s.Sid === "ControlPlaneDecryptsServiceAccountKey");
    expect(grant?.Principal.AWS).toMatch(/control-plane-role.*\.arn\}$/);
    expect(JSON.stringify(grant?.Condition)).toContain(`parameter${parameterNames(config).serviceAccountKey}`);
  });

  it("makes exactly the discovery document and the JWKS public (read only), keeps ACLs blocked, and refuses plain HTTP", () => {
    expect(publicGrants(cluster)).toEqual([
      { id: expect.stringContaining("service-account-issuer"), actions: ["s3:GetObject"], resources: [`${bucketRef}.arn}/.well-known/openid-configuration`, `${bucketRef}.arn}/openid/v1/jwks`] },
    ]);
    expect(publicBucketViolations(cluster)).toEqual([]);
    const block = oneResource(cluster, "aws_s3_bucket_public_access_block", "service-account-issuer");
    expect(block).toMatchObject({ block_public_acls: true, ignore_public_acls: true, block_public_policy: false, restrict_public_buckets: false });
    expect(oneResource(cluster, "aws_s3_bucket_ownership_controls", "service-account-issuer").rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
    const policy = JSON.parse(String(oneResource(cluster, "aws_s3_bucket_policy", "service-account-issuer").policy)) as Json;
    expect(policy.Statement).toEqual(expect.arrayContaining([expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]));
  });

  it("lets the control plane put those two keys and nothing else, and read its key and the issuer URL", () => {
    const doc = JSON.parse(String(oneResource(cluster, "aws_iam_role_policy", "service-account-issuer").policy)) as Json;
    const put = (doc.Statement as Json[]).filter((s) => [s.Action].flat().some((a: string) => a.startsWith("s3:")));
    expect(put).toEqual([{ Sid: "PublishTheTwoDiscoveryDocuments", Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${bucketRef}.arn}/.well-known/openid-configuration`, `${bucketRef}.arn}/openid/v1/jwks`] }]);
  });

  it("stores the issuer URL (the bucket's regional https address) for the control plane and registers it as an OIDC provider for STS", () => {
    const url = `https://${bucketRef}.bucket_regional_domain_name}`;
    expect(oneResource(cluster, "aws_ssm_parameter", "issuer-parameter")).toMatchObject({ name: parameterNames(config).serviceAccountIssuer, type: "String", value: url });
    expect(oneResource(cluster, "aws_iam_openid_connect_provider")).toMatchObject({ url, client_id_list: [STS_AUDIENCE] });
  });

  it("is in place before the control plane boots", () => {
    const deps = (oneResource(cluster, "aws_instance").depends_on as string[]) ?? [];
    for (const r of [onlyResource(cluster, "aws_ssm_parameter", "signing-key-parameter"), onlyResource(cluster, "aws_ssm_parameter", "issuer-parameter"), onlyResource(cluster, "aws_iam_role_policy", "service-account-issuer"), onlyResource(cluster, "aws_s3_bucket_policy", "service-account-issuer")]) {
      expect(deps).toContain(r.address);
    }
  });
});

describe("the EBS CSI controller's role", () => {
  const role = onlyResource(platform, "aws_iam_role", "ebs-csi");
  const trust = JSON.parse(String(role.body.assume_role_policy)) as Json;
  const release = releaseNamed(platform, RELEASES.awsEbsCsiDriver).body;

  it("trusts only the cluster's OIDC provider, for the controller's service account and the STS audience", () => {
    expect(role.body.name).toBe(resourceName(config, "ebs-csi-controller"));
    const [st] = trust.Statement as Json[];
    expect(trust.Statement).toHaveLength(1);
    expect(st?.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(String(st?.Principal.Federated)).toMatch(/^\$\{data\.terraform_remote_state\..*aws_iam_openid_connect_provider.*arn\}$/);
    const eq = st?.Condition.StringEquals as Record<string, string>;
    const entries = Object.entries(eq);
    expect(entries).toHaveLength(2);
    expect(entries.find(([k]) => k.endsWith(":sub"))?.[1]).toBe(`system:serviceaccount:${EBS_CSI_NAMESPACE}:${EBS_CSI_CONTROLLER_SERVICE_ACCOUNT}`);
    expect(entries.find(([k]) => k.endsWith(":aud"))?.[1]).toBe(STS_AUDIENCE);
    expect(trustViolations(platform)).toEqual([]);
  });

  it("carries exactly ebsCsiPolicy(config), inline, and nothing else", () => {
    const policies = Object.values(resourcesOf(platform, "aws_iam_role_policy"));
    expect(policies).toHaveLength(1);
    expect(JSON.parse(String(policies[0]!.policy))).toEqual(ebsCsiPolicy(config));
    expect(resourcesOf(platform, "aws_iam_role_policy_attachment")).toEqual({});
  });

  it("hands the controller a projected token for STS and the SDK's web-identity settings, under keys the pinned chart reads", () => {
    const values = ebsCsiDriverValues(config);
    expect(values.controller.volumes).toEqual([
      { name: WEB_IDENTITY_TOKEN.volumeName, projected: { sources: [{ serviceAccountToken: { audience: STS_AUDIENCE, expirationSeconds: WEB_IDENTITY_TOKEN.expirationSeconds, path: WEB_IDENTITY_TOKEN.fileName } }] } },
    ]);
    expect(values.controller.volumeMounts).toEqual([{ name: WEB_IDENTITY_TOKEN.volumeName, mountPath: WEB_IDENTITY_TOKEN.mountPath, readOnly: true }]);
    expect(unknownValuePaths(values, loadChartKeys("awsEbsCsiDriver"))).toEqual([]);
    const set = new Map((release.set as Array<{ name: string; value: string }>).map((s) => [s.name, s.value]));
    const env = new Map([0, 1, 2, 3].map((i) => [set.get(`controller.env[${i}].name`), set.get(`controller.env[${i}].value`)]));
    expect(env.get("AWS_ROLE_ARN")).toBe(`\${${role.address}.arn}`);
    expect(env.get("AWS_WEB_IDENTITY_TOKEN_FILE")).toBe(WEB_IDENTITY_TOKEN_FILE);
    expect(WEB_IDENTITY_TOKEN_FILE).toBe(`${WEB_IDENTITY_TOKEN.mountPath}/${WEB_IDENTITY_TOKEN.fileName}`);
    expect(release.set_sensitive).toBeUndefined();
  });

  it("reads the issuer's two documents at plan time and stops, naming the cause, when they are not public or name another issuer", () => {
    const checks = Object.values(dataOf(platform, "http"));
    expect(checks.map((c) => String(c.url)).sort()).toEqual(
      Object.values(OIDC_DOCUMENT_KEYS).map((k) => expect.stringMatching(new RegExp(`^https://\\$\\{data\\.terraform_remote_state\\..*\\}/${k.replace(/\./g, "\\.")}$`))),
    );
    for (const c of checks) {
      const post = (c.lifecycle as Json).postcondition as Json[];
      expect(post[0]?.condition).toBe("${self.status_code == 200}");
      expect(post[0]?.error_message).toContain("S3 Block Public Access");
      expect(post[0]?.error_message).toContain("docs/platform.md");
    }
    const discovery = checks.find((c) => String(c.url).endsWith("openid-configuration"));
    expect(JSON.stringify((discovery?.lifecycle as Json).postcondition)).toContain("jsondecode(self.response_body).issuer");
    // The role (and so the driver) waits for the checks.
    expect((role.body.depends_on as string[]).filter((d) => d.startsWith("data.http.")).length).toBe(2);
  });
});

describe("deliberately bad stacks: the checks catch them", () => {
  it("a bucket policy that makes the whole issuer bucket public", () => {
    const bad = synthApp({}, (stacks) => {
      const policy = part(stacks, "cluster", "service-account-issuer", "policy");
      policy.addOverride("policy", JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "All", Effect: "Allow", Principal: "*", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["${aws_s3_bucket.x.arn}/*"] }] }));
    });
    const found = publicBucketViolations(bad.stack("cluster"));
    expect(found).toHaveLength(2);
    expect(found).toEqual([expect.stringContaining("public s3:ListBucket"), expect.stringContaining("public read of ${aws_s3_bucket.x.arn}/*")]);
  });

  it("a trust policy without the subject (any pod with an STS-audience token could take the role)", () => {
    const bad = synthApp({}, (stacks) => {
      const role = part(stacks, "platform", "ebs-csi", "identity", "role");
      const doc = JSON.parse(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/x" }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { "x:aud": STS_AUDIENCE } } }] }));
      role.addOverride("assume_role_policy", JSON.stringify(doc));
    });
    expect(trustViolations(bad.stack("platform"))).toEqual([expect.stringContaining("subject not pinned")]);
  });

  it("a subject with a wildcard and no audience", () => {
    const bad = synthApp({}, (stacks) => {
      const role = part(stacks, "platform", "ebs-csi", "identity", "role");
      role.addOverride("assume_role_policy", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: "p" }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { "x:sub": "system:serviceaccount:kube-system:*" } } }] }));
    });
    expect(trustViolations(bad.stack("platform"))).toHaveLength(2);
  });
});
