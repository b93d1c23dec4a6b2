/**
 * A small IAM policy evaluator for the tests: enough of AWS's evaluation
 * logic (IAM User Guide, "Policy evaluation logic") to decide what a node
 * role can do with the policies this project writes and the AWS managed
 * policies it attaches.
 *
 * Covered: Allow/Deny (an explicit Deny wins, no Allow means an implicit
 * deny), Action/NotAction and Resource/NotResource with `*` and `?`
 * wildcards (actions case-insensitive, resources case-sensitive), Principal
 * in resource policies, and the condition operators StringEquals,
 * StringNotEquals, StringLike, StringNotLike, ArnEquals, ArnLike and Bool
 * (a missing key fails a positive operator and passes a negated one). Any
 * other operator or policy element throws, so a policy this evaluator does
 * not understand can never pass a test by accident.
 *
 * KMS: a key policy must allow the use itself, or allow the account's root
 * (which delegates to IAM) while an identity policy of the caller allows it
 * too (AWS KMS Developer Guide, "Key policies").
 */

export type Decision = "Allow" | "ExplicitDeny" | "ImplicitDeny";

type OneOrMore<T> = T | T[];

export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action?: OneOrMore<string>;
  readonly NotAction?: OneOrMore<string>;
  readonly Resource?: OneOrMore<string>;
  readonly NotResource?: OneOrMore<string>;
  readonly Principal?: "*" | { AWS?: OneOrMore<string>; Service?: OneOrMore<string> };
  readonly Condition?: Record<string, Record<string, OneOrMore<string | boolean>>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: OneOrMore<Statement>;
}

export interface Request {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request (`kms:ViaService`, `kms:EncryptionContext:…`, `aws:SecureTransport`). */
  readonly context?: Readonly<Record<string, string>>;
  /** The calling principal's ARN; needed only for resource (key, bucket) policies. */
  readonly principal?: string;
}

const KNOWN_ELEMENTS = new Set(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "Condition"]);

const list = <T>(v: OneOrMore<T> | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM's wildcard match: `*` any run of characters, `?` any one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, ignoreCase ? "i" : "").test(value);
}

function conditionHolds(operator: string, key: string, expected: Array<string | boolean>, context: Readonly<Record<string, string>>): boolean {
  const actual = context[key];
  const values = expected.map(String);
  switch (operator) {
    case "StringEquals":
    case "ArnEquals":
      return actual !== undefined && values.includes(actual);
    case "StringNotEquals":
      return actual === undefined || !values.includes(actual);
    case "StringLike":
    case "ArnLike":
      return actual !== undefined && values.some((v) => wildcardMatch(v, actual));
    case "StringNotLike":
      return actual === undefined || !values.some((v) => wildcardMatch(v, actual));
    case "Bool":
      return actual !== undefined && values.includes(actual);
    default:
      throw new Error(`the test evaluator does not model the condition operator ${operator}`);
  }
}

function principalMatches(statement: Statement, principal: string | undefined): boolean {
  if (statement.Principal === undefined) return true; // identity policy: the caller is the principal
  if (principal === undefined) throw new Error(`statement ${statement.Sid ?? "(no Sid)"} names a principal but the request has none`);
  if (statement.Principal === "*") return true;
  if (statement.Principal.Service !== undefined) return false;
  return list(statement.Principal.AWS).some((p) => p === "*" || p === principal);
}

/** Whether the statement applies to the request (its Effect aside). */
export function statementMatches(statement: Statement, request: Request): boolean {
  for (const element of Object.keys(statement)) {
    if (!KNOWN_ELEMENTS.has(element)) throw new Error(`the test evaluator does not model the policy element ${element}`);
  }
  if ((statement.Action === undefined) === (statement.NotAction === undefined)) throw new Error(`statement ${statement.Sid ?? ""} needs exactly one of Action, NotAction`);
  if ((statement.Resource === undefined) === (statement.NotResource === undefined)) throw new Error(`statement ${statement.Sid ?? ""} needs exactly one of Resource, NotResource`);
  const actionHit = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, request.action, true));
  const resourceHit = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, request.resource));
  if (statement.Action !== undefined ? !actionHit(list(statement.Action)) : actionHit(list(statement.NotAction))) return false;
  if (statement.Resource !== undefined ? !resourceHit(list(statement.Resource)) : resourceHit(list(statement.NotResource))) return false;
  if (!principalMatches(statement, request.principal)) return false;
  const context = request.context ?? {};
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      if (!conditionHolds(operator, key, list(expected), context)) return false;
    }
  }
  return true;
}

/** The decision of a set of policies (identity policies of one principal, or one resource policy). */
export function evaluate(policies: readonly PolicyDocument[], request: Request): Decision {
  let allowed = false;
  for (const policy of policies) {
    for (const statement of list(policy.Statement)) {
      if (!statementMatches(statement, request)) continue;
      if (statement.Effect === "Deny") return "ExplicitDeny";
      if (statement.Effect === "Allow") allowed = true;
      else throw new Error(`bad Effect ${String(statement.Effect)}`);
    }
  }
  return allowed ? "Allow" : "ImplicitDeny";
}

/**
 * Whether `principal` may use a customer-managed KMS key: the key policy
 * allows it directly, or allows the account's root and the principal's own
 * identity policies allow it too; an explicit Deny in either wins.
 */
export function kmsDecision(args: {
  keyPolicy: PolicyDocument;
  identityPolicies: readonly PolicyDocument[];
  principal: string;
  accountRoot: string;
  keyArn: string;
  action: string;
  context: Readonly<Record<string, string>>;
}): Decision {
  const request: Request = { action: args.action, resource: args.keyArn, context: args.context, principal: args.principal };
  const direct = evaluate([args.keyPolicy], request);
  const identity = evaluate(args.identityPolicies, { ...request, principal: undefined });
  if (direct === "ExplicitDeny" || identity === "ExplicitDeny") return "ExplicitDeny";
  if (direct === "Allow") return "Allow";
  const delegated = evaluate([args.keyPolicy], { ...request, principal: args.accountRoot });
  return delegated === "Allow" && identity === "Allow" ? "Allow" : "ImplicitDeny";
}
