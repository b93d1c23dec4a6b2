/**
 * Who can read which cluster secret, as AWS would decide it: each node role's
 * effective permissions on every SSM parameter of the cluster stack, from its
 * inline policies, the AWS managed policies it attaches (recorded documents)
 * and the cluster key's policy. Stands in for checkov CKV_AWS_337 (SSM
 * SecureString with a customer-managed key), CKV_AWS_7 (KMS rotation),
 * CKV_AWS_33 (no wildcard principal in a key policy), and for IAM Access
 * Analyzer's "who can read this secret".
 */
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { oneResource, resourcesOf, synthApp, type SynthesizedApp } from "./helpers/synth";
import { evaluate, kmsDecision, statementMatches, wildcardMatch, type PolicyDocument } from "./helpers/iam-policy";
import { accessModel, canUseParameter, keyDecision, MANAGED_POLICIES, TEST_ACCOUNT, type AccessModel } from "./helpers/aws-access";
import { parameterNames } from "../stacks/cluster/settings";
import { SSM_MANAGED_INSTANCE_POLICY, type NodeRoles } from "../stacks/cluster/node-roles";
import type { ClusterSecrets } from "../stacks/cluster/cluster-secrets";
import type { ClusterKey } from "../stacks/cluster/cluster-key";
import type { ProjectStacks } from "../main";

const model = (app: SynthesizedApp): AccessModel => accessModel(app.stack("cluster"), app.config.region);
const part = <T>(stacks: ProjectStacks, id: string) => stacks.cluster.node.findChild(id) as unknown as T;

/** Names of the parameters `roleId` can read / write, sorted. */
function matrix(m: AccessModel, roleId: string) {
  const role = m.role(roleId);
  const names = (use: "read" | "write") => m.parameters.filter((p) => canUseParameter(m, role, p, use)).map((p) => p.name).sort();
  return { read: names("read"), write: names("write") };
}

describe("the test IAM evaluator", () => {
  const allow = (statement: object): PolicyDocument => ({ Statement: [{ Effect: "Allow", Resource: "*", ...statement } as never] });

  it("matches wildcards: actions without case, resources with it", () => {
    expect(wildcardMatch("ssm:Get*", "SSM:GETPARAMETER", true)).toBe(true);
    expect(wildcardMatch("arn:aws:ssm:*:*:parameter/a/*", "arn:aws:ssm:eu-west-1:1:parameter/a/b")).toBe(true);
    expect(wildcardMatch("arn:aws:ssm:*:*:parameter/a/*", "arn:aws:ssm:eu-west-1:1:parameter/A/b")).toBe(false);
    expect(wildcardMatch("key-?", "key-12")).toBe(false);
  });

  it("denies implicitly without an Allow, and lets an explicit Deny win", () => {
    const req = { action: "ssm:GetParameter", resource: "arn:aws:ssm:r:1:parameter/x" };
    expect(evaluate([], req)).toBe("ImplicitDeny");
    expect(evaluate([allow({ Action: "ssm:*" })], req)).toBe("Allow");
    expect(evaluate([allow({ Action: "ssm:*" }), { Statement: { Effect: "Deny", Action: "*", Resource: "*" } }], req)).toBe("ExplicitDeny");
    expect(evaluate([allow({ NotAction: "ssm:GetParameter" })], req)).toBe("ImplicitDeny");
  });

  it("evaluates conditions, a missing key failing a positive operator", () => {
    const p = allow({ Action: "kms:Decrypt", Condition: { StringEquals: { "kms:ViaService": "ssm.r.amazonaws.com" } } });
    expect(evaluate([p], { action: "kms:Decrypt", resource: "k", context: { "kms:ViaService": "ssm.r.amazonaws.com" } })).toBe("Allow");
    expect(evaluate([p], { action: "kms:Decrypt", resource: "k", context: { "kms:ViaService": "s3.r.amazonaws.com" } })).toBe("ImplicitDeny");
    expect(evaluate([p], { action: "kms:Decrypt", resource: "k" })).toBe("ImplicitDeny");
    const unknown = allow({ Action: "*", Condition: { NumericLessThan: { "aws:x": "1" } } });
    expect(() => evaluate([unknown], { action: "a", resource: "r" })).toThrow(/NumericLessThan/);
    expect(() => statementMatches({ Effect: "Allow", Action: "*", Resource: "*", NotPrincipal: "*" } as never, { action: "a", resource: "r" })).toThrow(/NotPrincipal/);
  });

  it("lets a key policy delegate to IAM only through the account root plus an identity Allow", () => {
    const root = `arn:aws:iam::${TEST_ACCOUNT}:root`;
    const keyPolicy: PolicyDocument = { Statement: [{ Effect: "Allow", Principal: { AWS: root }, Action: "kms:*", Resource: "*" }] };
    const args = { keyPolicy, principal: "arn:aws:iam::1:role/r", accountRoot: root, keyArn: "k", action: "kms:Decrypt", context: {} };
    expect(kmsDecision({ ...args, identityPolicies: [] })).toBe("ImplicitDeny");
    expect(kmsDecision({ ...args, identityPolicies: [allow({ Action: "kms:Decrypt" })] })).toBe("Allow");
  });
});

describe("recorded AWS managed policies", () => {
  it("each carries its name, default version and the AWS reference page it comes from", () => {
    for (const p of MANAGED_POLICIES) {
      expect(p.version).toMatch(/^v\d+$/);
      expect(p.source).toBe(`https://docs.aws.amazon.com/aws-managed-policy/latest/reference/${p.name}.html`);
      expect(p.arnPath).toBe(`policy/${p.name}`);
    }
    expect(MANAGED_POLICIES.map((p) => p.name)).toContain(SSM_MANAGED_INSTANCE_POLICY);
  });

  it("the policy the nodes attach reads no parameter; the Core policy reads every one", () => {
    const doc = (name: string) => MANAGED_POLICIES.find((p) => p.name === name)?.document as PolicyDocument;
    const anyParameter = { resource: "arn:aws:ssm:eu-west-1:111122223333:parameter/anyone/ca-key" };
    for (const action of ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]) {
      expect(evaluate([doc(SSM_MANAGED_INSTANCE_POLICY)], { action, ...anyParameter })).toBe("ImplicitDeny");
    }
    expect(evaluate([doc("AmazonSSMManagedInstanceCore")], { action: "ssm:GetParameter", ...anyParameter })).toBe("Allow");
    // Session Manager still works: the agent's registration and channels.
    for (const action of ["ssm:UpdateInstanceInformation", "ssmmessages:OpenDataChannel", "ec2messages:GetMessages"]) {
      expect(evaluate([doc(SSM_MANAGED_INSTANCE_POLICY)], { action, resource: "*" })).toBe("Allow");
    }
  });
});

describe("effective access of the node roles to the cluster's parameters", () => {
  const app = synthApp();
  const m = model(app);
  const names = parameterNames(app.config);

  it("models every parameter, managed policy and key of the stack", () => {
    expect(m.parameters.map((p) => p.name).sort()).toEqual(Object.values(names).sort());
    expect([...m.roles.values()].map((r) => r.managedPolicies)).toEqual([[SSM_MANAGED_INSTANCE_POLICY], [SSM_MANAGED_INSTANCE_POLICY]]);
    expect(m.keyPolicies.size).toBe(1);
  });

  it("lets the control plane read exactly its own parameters and write only the join token", () => {
    expect(matrix(m, "control-plane-role")).toEqual({ read: Object.values(names).sort(), write: [names.joinToken] });
  });

  it("lets workers read only the CA certificate and the join token, never the CA key", () => {
    expect(matrix(m, "worker-role")).toEqual({ read: [names.caCert, names.joinToken].sort(), write: [] });
  });

  it("gives no role a parameter read beyond the ones named: not on *, not through GetParameters or by path", () => {
    const other = { name: "/another-project/secret", arn: `arn:aws:ssm:${m.region}:${TEST_ACCOUNT}:parameter/another-project/secret`, secure: false };
    for (const role of m.roles.values()) {
      expect({ role: role.name, other: canUseParameter(m, role, other, "read") }).toEqual({ role: role.name, other: false });
      for (const p of m.parameters) {
        for (const action of ["ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"]) {
          expect({ role: role.name, p: p.name, action, allowed: canUseParameter(m, role, p, "read", action) }).toMatchObject({ allowed: false });
        }
      }
    }
  });

  it("encrypts every SecureString with the cluster's own key, which rotates (CKV_AWS_337, CKV_AWS_7)", () => {
    const secure = m.parameters.filter((p) => p.secure);
    expect(secure.map((p) => p.name).sort()).toEqual([names.caKey, names.joinToken, names.secretsEncryptionKey, names.serviceAccountKey].sort());
    const [keyArn] = [...m.keyPolicies.keys()];
    for (const p of secure) expect({ name: p.name, key: p.keyArn }).toEqual({ name: p.name, key: keyArn });
    expect(oneResource(app.stack("cluster"), "aws_kms_key")).toMatchObject({ enable_key_rotation: true });
  });

  it("names each principal of the key policy, never * (CKV_AWS_33), and conditions every node grant on one service and exact objects", () => {
    const [policy] = [...m.keyPolicies.values()];
    const statements = [policy?.Statement].flat() as Array<{ Sid: string; Principal: { AWS: string }; Condition?: Record<string, Record<string, unknown>> }>;
    for (const s of statements) expect(s.Principal.AWS).not.toContain("*");
    const grants = statements.filter((s) => s.Principal.AWS.includes(":role/"));
    expect(grants.length).toBeGreaterThanOrEqual(4);
    for (const s of grants) {
      const service = s.Condition?.StringEquals?.["kms:ViaService"];
      expect([`ssm.${m.region}.amazonaws.com`, `s3.${m.region}.amazonaws.com`]).toContain(service);
      const context = service === `ssm.${m.region}.amazonaws.com` ? s.Condition?.StringEquals?.["kms:EncryptionContext:PARAMETER_ARN"] : s.Condition?.StringLike?.["kms:EncryptionContext:aws:s3:arn"];
      expect({ sid: s.Sid, context: typeof context }).not.toEqual({ sid: s.Sid, context: "undefined" });
    }
  });

  it("refuses the workers the CA key in each layer on its own: the SSM grant and the key policy", () => {
    const worker = m.role("worker-role");
    const caKey = m.parameters.find((p) => p.name === names.caKey);
    const token = m.parameters.find((p) => p.name === names.joinToken);
    if (caKey?.keyArn === undefined || token?.keyArn === undefined) throw new Error("the CA key and token must be SecureStrings under the cluster key");
    const ctx = (arn: string) => ({ "kms:ViaService": `ssm.${m.region}.amazonaws.com`, "kms:EncryptionContext:PARAMETER_ARN": arn });
    expect(evaluate(worker.identityPolicies, { action: "ssm:GetParameter", resource: caKey.arn })).toBe("ImplicitDeny");
    expect(keyDecision(m, worker, caKey.keyArn, "kms:Decrypt", ctx(caKey.arn))).toBe("ImplicitDeny");
    expect(keyDecision(m, worker, token.keyArn, "kms:Decrypt", ctx(token.arn))).toBe("Allow");
    // Not outside SSM, and not for writing.
    expect(keyDecision(m, worker, token.keyArn, "kms:Decrypt", { ...ctx(token.arn), "kms:ViaService": "s3.eu-west-1.amazonaws.com" })).toBe("ImplicitDeny");
    expect(keyDecision(m, worker, token.keyArn, "kms:Encrypt", ctx(token.arn))).toBe("ImplicitDeny");
  });

  it("keeps the roles free of KMS statements: the key policy alone grants their use of the key", () => {
    for (const role of m.roles.values()) {
      expect(evaluate(role.identityPolicies, { action: "kms:Decrypt", resource: [...m.keyPolicies.keys()][0] as string })).toBe("ImplicitDeny");
    }
  });
});

describe("etcd snapshots under the cluster key", () => {
  /**
   * CKV_AWS_145: a bucket's default encryption uses a KMS key. Suppressed for
   * the service-account issuer's bucket alone: its two objects are public by
   * design and anonymous readers (AWS STS) cannot use a KMS key.
   */
  const ckvAws145 = (app: SynthesizedApp) =>
    Object.entries(resourcesOf(app.stack("cluster"), "aws_s3_bucket_server_side_encryption_configuration"))
      .filter(([id]) => !id.startsWith("service-account-issuer_"))
      .flatMap(([id, r]) =>
      ((r.rule as Array<{ apply_server_side_encryption_by_default?: { sse_algorithm?: string; kms_master_key_id?: string } }>) ?? [])
        .filter((rule) => rule.apply_server_side_encryption_by_default?.sse_algorithm !== "aws:kms" || !rule.apply_server_side_encryption_by_default.kms_master_key_id)
        .map(() => `${id}: not SSE-KMS with a customer-managed key`),
    );
  const app = synthApp();
  const m = model(app);
  const [keyArn] = [...m.keyPolicies.keys()] as [string];
  const bucket = m.resolve(`\${aws_s3_bucket.${Object.keys(resourcesOf(app.stack("cluster"), "aws_s3_bucket")).find((id) => id.startsWith("etcd-backup_"))}.arn}`);
  const s3 = (object: string) => ({ "kms:ViaService": `s3.${m.region}.amazonaws.com`, "kms:EncryptionContext:aws:s3:arn": object });
  const snapshot = `${bucket}/${app.config.name}/etcd/ip-10-0-1-10-20261202T050000Z.db`;

  it("encrypts the owned bucket with the cluster key (CKV_AWS_145); the check finds an SSE-S3 bucket", () => {
    expect(ckvAws145(app)).toEqual([]);
    const bad = synthApp({}, (stacks) => {
      const backup = part<{ node: { findChild(id: string): unknown } }>(stacks, "etcd-backup");
      (backup.node.findChild("encryption") as { addOverride(path: string, value: unknown): void }).addOverride("rule", [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }]);
    });
    expect(ckvAws145(bad)).toHaveLength(1);
  });

  it("lets the control plane encrypt and decrypt snapshots through S3 under its prefix only; workers not at all", () => {
    const cp = m.role("control-plane-role");
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) expect(keyDecision(m, cp, keyArn, action, s3(snapshot))).toBe("Allow");
    expect(keyDecision(m, cp, keyArn, "kms:GenerateDataKey", s3(`${bucket}/another-cluster/etcd/x.db`))).toBe("ImplicitDeny");
    expect(keyDecision(m, cp, keyArn, "kms:Decrypt", { ...s3(snapshot), "kms:ViaService": `ssm.${m.region}.amazonaws.com` })).toBe("ImplicitDeny");
    expect(keyDecision(m, m.role("worker-role"), keyArn, "kms:Decrypt", s3(snapshot))).toBe("ImplicitDeny");
  });

  it("lets the control plane upload to an existing bucket whose default encryption uses an S3 Bucket Key, where KMS sees the bucket's ARN as context", () => {
    // With an S3 Bucket Key, S3 asks KMS for the bucket-level key with the bucket's ARN as
    // encryption context, not the object's (S3 User Guide, "Reducing the cost of SSE-KMS with
    // Amazon S3 Bucket Keys": "Changes to note before enabling an S3 Bucket Key"). The upload
    // names the key but sends no per-object Bucket Key setting, so the bucket's own applies.
    const existing = synthApp({ cluster: { etcdBackup: { existingBucket: "acme-etcd-backups" } } });
    const em = model(existing);
    const [existingKey] = [...em.keyPolicies.keys()] as [string];
    const cp = em.role("control-plane-role");
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
      expect(keyDecision(em, cp, existingKey, action, s3("arn:aws:s3:::acme-etcd-backups"))).toBe("Allow");
      expect(keyDecision(em, cp, existingKey, action, s3(`arn:aws:s3:::acme-etcd-backups/${existing.config.name}/etcd/x.db`))).toBe("Allow");
    }
    // Another bucket's key context is still refused; and the owned bucket has no Bucket Key, so its grant stays per object.
    expect(keyDecision(em, cp, existingKey, "kms:GenerateDataKey", s3("arn:aws:s3:::another-bucket"))).toBe("ImplicitDeny");
    expect(keyDecision(m, m.role("control-plane-role"), keyArn, "kms:GenerateDataKey", s3(bucket))).toBe("ImplicitDeny");
  });

  it("lets the control plane add snapshots but never delete one", () => {
    const cp = m.role("control-plane-role");
    expect(evaluate(cp.identityPolicies, { action: "s3:PutObject", resource: snapshot })).toBe("Allow");
    for (const action of ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy"]) {
      expect({ action, d: evaluate(cp.identityPolicies, { action, resource: action.includes("Object") ? snapshot : bucket }) }).toEqual({ action, d: "ImplicitDeny" });
    }
  });
});

describe("deliberately bad stacks: the access checks catch them", () => {
  const attachCore = (stacks: ProjectStacks) => {
    const roles = part<NodeRoles>(stacks, "roles");
    new IamRolePolicyAttachment(stacks.cluster, "bad-core", { role: roles.workers.role.name, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" });
  };

  it("AmazonSSMManagedInstanceCore on the workers: reads on * appear; the cluster key still keeps the CA key", () => {
    const m = model(synthApp({}, attachCore));
    const { read } = matrix(m, "worker-role");
    // The workers' exact-read check fails: they now read the control plane's String parameters too.
    expect(read).toEqual(expect.arrayContaining(["/k8s-mesh/cluster/control-plane-public-ip", "/k8s-mesh/cluster/etcd-backup-location"]));
    // The key policy still refuses the decrypt.
    expect(read).not.toContain("/k8s-mesh/cluster/ca-key");
  });

  it("the same with the CA key under aws/ssm (the review's finding): every worker reads the cluster CA key", () => {
    const m = model(
      synthApp({}, (stacks) => {
        attachCore(stacks);
        part<ClusterSecrets>(stacks, "secrets").caKeyParameter.resetKeyId();
      }),
    );
    expect(matrix(m, "worker-role").read).toContain("/k8s-mesh/cluster/ca-key");
  });

  it("a key grant without the parameter condition lets a Core-attached worker decrypt the CA key", () => {
    const m = model(
      synthApp({}, (stacks) => {
        attachCore(stacks);
        const key = part<ClusterKey>(stacks, "key");
        const roles = part<NodeRoles>(stacks, "roles");
        key.allowParameterDecrypt("TooBroad", roles.workers.role.arn, ["/k8s-mesh/cluster/ca-key"]);
      }),
    );
    expect(matrix(m, "worker-role").read).toContain("/k8s-mesh/cluster/ca-key");
  });
});

it("names the cluster key with an alias", () => {
  const cluster = synthApp().stack("cluster");
  expect(Object.values(resourcesOf(cluster, "aws_kms_alias")).map((a) => a.name)).toEqual(["alias/k8s-mesh-cluster-secrets"]);
});
