/**
 * What each IAM role of a synthesized stack can effectively do, computed with
 * the test evaluator (iam-policy.ts) over everything that grants access:
 * the role's inline policies, the AWS managed policies it attaches (their
 * published documents, fixtures/iam/aws-managed-policies.json), and the key
 * policy of the KMS key a SecureString parameter is encrypted with.
 *
 * Terraform references in the synthesized JSON are replaced by the values AWS
 * would give them in a test account; a reference this model does not know
 * throws, so nothing is silently left out.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { evaluate, kmsDecision, type Decision, type PolicyDocument } from "./iam-policy";
import { resourcesOf, type SynthesizedStack } from "./synth";

export const TEST_ACCOUNT = "111122223333";
/** The key SSM uses for a SecureString written without a key id (SSM API Reference, PutParameter, KeyId). */
export const AWS_MANAGED_SSM_KEY = "alias/aws/ssm";

interface ManagedPolicyRecord {
  readonly name: string;
  readonly arnPath: string;
  readonly version: string;
  readonly source: string;
  readonly document: PolicyDocument;
}

export const MANAGED_POLICIES: readonly ManagedPolicyRecord[] = (
  JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "iam", "aws-managed-policies.json"), "utf8")) as { policies: ManagedPolicyRecord[] }
).policies;

export interface RoleModel {
  readonly id: string;
  readonly name: string;
  readonly arn: string;
  readonly identityPolicies: PolicyDocument[];
  /** Names of the AWS managed policies attached. */
  readonly managedPolicies: string[];
}

export interface ParameterModel {
  readonly name: string;
  readonly arn: string;
  readonly secure: boolean;
  /** The key ARN; undefined for a SecureString under the AWS-managed `aws/ssm` key. */
  readonly keyArn?: string;
  /** The key id as Terraform writes it (what SSM reports back), when it names one. */
  readonly keyId?: string;
}

export interface AccessModel {
  readonly region: string;
  readonly partition: string;
  readonly roles: Map<string, RoleModel>;
  readonly parameters: ParameterModel[];
  /** Key policies by key ARN. */
  readonly keyPolicies: Map<string, PolicyDocument>;
  /**
   * The key ARN a KMS key identifier names: a key ARN as it is, an alias
   * name (`alias/...`) of this stack through its target; undefined for the
   * AWS-managed `aws/ssm` key or an alias this stack does not create.
   */
  keyArnOf(keyId: string): string | undefined;
  /** Replaces every Terraform reference in a value with its modelled value. */
  resolve(value: string): string;
  role(idPart: string): RoleModel;
}

type Resource = Record<string, unknown>;

export function accessModel(stack: SynthesizedStack, region: string, partition = "aws"): AccessModel {
  const res = (type: string) => resourcesOf(stack, type);
  const name = (type: string, id: string, attr: string): string => {
    const r = res(type)[id];
    if (r === undefined) throw new Error(`reference to a missing ${type}.${id}`);
    const v = r[attr];
    if (typeof v !== "string") throw new Error(`${type}.${id} has no literal ${attr}`);
    return v;
  };
  const known: Record<string, (id: string, attr: string) => string> = {
    "data.aws_caller_identity": (_id, attr) => {
      if (attr !== "account_id") throw new Error(`caller identity .${attr} not modelled`);
      return TEST_ACCOUNT;
    },
    "data.aws_partition": (_id, attr) => {
      if (attr !== "partition") throw new Error(`partition .${attr} not modelled`);
      return partition;
    },
    aws_ssm_parameter: (id, attr) => {
      if (attr !== "arn") throw new Error(`aws_ssm_parameter .${attr} not modelled`);
      return `arn:${partition}:ssm:${region}:${TEST_ACCOUNT}:parameter${name("aws_ssm_parameter", id, "name")}`;
    },
    aws_iam_role: (id, attr) => {
      const roleName = name("aws_iam_role", id, "name");
      if (attr === "arn") return `arn:${partition}:iam::${TEST_ACCOUNT}:role/${roleName}`;
      if (attr === "id" || attr === "name") return roleName;
      throw new Error(`aws_iam_role .${attr} not modelled`);
    },
    aws_kms_key: (id, attr) => {
      if (attr === "arn") return `arn:${partition}:kms:${region}:${TEST_ACCOUNT}:key/${id}`;
      if (attr === "key_id") return id;
      throw new Error(`aws_kms_key .${attr} not modelled`);
    },
    aws_kms_alias: (id, attr) => {
      if (attr !== "name") throw new Error(`aws_kms_alias .${attr} not modelled`);
      return name("aws_kms_alias", id, "name");
    },
    aws_s3_bucket: (id, attr) => {
      const bucket = res("aws_s3_bucket")[id] as Resource | undefined;
      if (bucket === undefined) throw new Error(`reference to a missing aws_s3_bucket.${id}`);
      const bucketName = `${String(bucket.bucket_prefix ?? bucket.bucket)}test`;
      if (attr === "arn") return `arn:${partition}:s3:::${bucketName}`;
      if (attr === "id" || attr === "bucket") return bucketName;
      if (attr === "bucket_regional_domain_name") return `${bucketName}.s3.${region}.amazonaws.com`;
      throw new Error(`aws_s3_bucket .${attr} not modelled`);
    },
  };
  const resolve = (value: string): string =>
    value.replace(/\$\{([a-z0-9_.-]+)\}/gi, (_m, ref: string) => {
      const parts = ref.split(".");
      const [type, id, attr] = parts[0] === "data" ? [`data.${parts[1]}`, parts[2], parts[3]] : [parts[0], parts[1], parts[2]];
      const fn = type === undefined ? undefined : known[type];
      if (fn === undefined || id === undefined || attr === undefined) throw new Error(`the access model does not know the reference \${${ref}}`);
      return fn(id, attr);
    });
  const doc = (json: unknown): PolicyDocument => JSON.parse(resolve(String(json))) as PolicyDocument;

  const roles = new Map<string, RoleModel>();
  for (const [id, role] of Object.entries(res("aws_iam_role"))) {
    roles.set(id, { id, name: String(role.name), arn: known.aws_iam_role!(id, "arn"), identityPolicies: [], managedPolicies: [] });
  }
  const roleOf = (ref: unknown): RoleModel => {
    const m = /^\$\{aws_iam_role\.([^.]+)\.(id|name)\}$/.exec(String(ref));
    const role = m ? roles.get(m[1] as string) : undefined;
    if (role === undefined) throw new Error(`a policy is attached to ${String(ref)}, which is no role of this stack`);
    return role;
  };
  for (const policy of Object.values(res("aws_iam_role_policy"))) roleOf(policy.role).identityPolicies.push(doc(policy.policy));
  for (const attachment of Object.values(res("aws_iam_role_policy_attachment"))) {
    const arn = resolve(String(attachment.policy_arn));
    const record = MANAGED_POLICIES.find((p) => arn === `arn:${partition}:iam::aws:${p.arnPath}`);
    if (record === undefined) throw new Error(`the managed policy ${arn} has no recorded document in fixtures/iam/aws-managed-policies.json`);
    const role = roleOf(attachment.role);
    role.identityPolicies.push(record.document);
    role.managedPolicies.push(record.name);
  }

  const keyPolicies = new Map<string, PolicyDocument>();
  for (const [id, key] of Object.entries(res("aws_kms_key"))) {
    if (typeof key.policy !== "string") throw new Error(`aws_kms_key.${id} has no policy of its own (the default key policy is not modelled)`);
    keyPolicies.set(known.aws_kms_key!(id, "arn"), doc(key.policy));
  }
  // Each alias of the stack, by name, to the ARN of the key it targets (target_key_id references that key's key_id).
  const aliases = new Map<string, string>();
  for (const [id, alias] of Object.entries(res("aws_kms_alias"))) {
    const target = /^\$\{aws_kms_key\.([^.]+)\.(key_id|arn)\}$/.exec(String(alias.target_key_id));
    if (!target) throw new Error(`aws_kms_alias.${id} targets ${String(alias.target_key_id)}, not a key of this stack`);
    aliases.set(name("aws_kms_alias", id, "name"), known.aws_kms_key!(target[1] as string, "arn"));
  }
  const keyArnOf = (keyId: string): string | undefined => (keyId.startsWith("alias/") ? aliases.get(keyId) : keyPolicies.has(keyId) ? keyId : undefined);
  const parameters = Object.entries(res("aws_ssm_parameter")).map(([id, p]): ParameterModel => {
    const secure = p.type === "SecureString";
    const keyId = secure && p.key_id !== undefined ? resolve(String(p.key_id)) : undefined;
    const keyArn = keyId !== undefined ? keyArnOf(keyId) : undefined;
    return { name: String(p.name), arn: known.aws_ssm_parameter!(id, "arn"), secure, ...(keyArn !== undefined ? { keyArn } : {}), ...(keyId !== undefined ? { keyId } : {}) };
  });

  return {
    region,
    partition,
    roles,
    parameters,
    keyPolicies,
    keyArnOf,
    resolve,
    role(idPart) {
      const found = [...roles.values()].filter((r) => r.id.includes(idPart));
      if (found.length !== 1) throw new Error(`expected one role matching ${idPart}, found ${found.map((r) => r.id).join(", ")}`);
      return found[0] as RoleModel;
    },
  };
}

/** Whether `role` may use `keyArn` for `action` with this request context. */
export function keyDecision(model: AccessModel, role: RoleModel, keyArn: string, action: string, context: Record<string, string>): Decision {
  const keyPolicy = model.keyPolicies.get(keyArn);
  if (keyPolicy === undefined) throw new Error(`no key ${keyArn} in the stack`);
  return kmsDecision({
    keyPolicy,
    identityPolicies: role.identityPolicies,
    principal: role.arn,
    accountRoot: `arn:${model.partition}:iam::${TEST_ACCOUNT}:root`,
    keyArn,
    action,
    context,
  });
}

/**
 * Whether `role` can read (GetParameter, decrypted) or write (PutParameter)
 * a parameter: the SSM permission, and for a SecureString the KMS use that
 * SSM makes on the caller's behalf (standard tier: Decrypt to read, Encrypt to
 * write, encryption context PARAMETER_ARN). Under the AWS-managed `aws/ssm`
 * key every principal of the account may use the key through SSM, so the SSM
 * permission alone decides.
 */
export function canUseParameter(model: AccessModel, role: RoleModel, parameter: ParameterModel, use: "read" | "write", ssmAction?: string): boolean {
  const action = ssmAction ?? (use === "read" ? "ssm:GetParameter" : "ssm:PutParameter");
  if (evaluate(role.identityPolicies, { action, resource: parameter.arn }) !== "Allow") return false;
  if (!parameter.secure || parameter.keyArn === undefined) return true;
  const context = { "kms:ViaService": `ssm.${model.region}.amazonaws.com`, "kms:EncryptionContext:PARAMETER_ARN": parameter.arn };
  return keyDecision(model, role, parameter.keyArn, use === "read" ? "kms:Decrypt" : "kms:Encrypt", context) === "Allow";
}
