/**
 * The deploying identity's permissions (lib/iam-permissions.ts,
 * docs/iam-permissions.md): every resource and data-source type the stacks
 * synthesize, under every configuration the tests synthesize, has a row; no
 * row is for a type nothing uses; and the generated policy, read by the
 * tests' IAM evaluator, allows every action of the table.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { AWS_DOCS, allActions, DATA_PERMISSIONS, deployerPolicy, isAwsType, NON_AWS_PREFIXES, NON_AWS_TYPES, RESOURCE_PERMISSIONS, S3_BACKEND_PERMISSION } from "../lib/iam-permissions";
import { renderIamDoc } from "../scripts/docs";
import { CONFIG_VARIANTS } from "./helpers/config-variants";
import { evaluate, type PolicyDocument } from "./helpers/iam-policy";
import { synthApp } from "./helpers/synth";
import { STACKS } from "./helpers/terraform";

const ROOT = path.resolve(__dirname, "..");

/** Resource and data-source types of every stack, walked out of the synthesized JSON, for every variant. */
function usedTypes(): { resources: Set<string>; data: Set<string> } {
  const resources = new Set<string>();
  const data = new Set<string>();
  for (const v of CONFIG_VARIANTS) {
    const app = synthApp(v.context);
    for (const s of STACKS) {
      const tf = app.stack(s as "network").tf;
      Object.keys(tf.resource ?? {}).forEach((t) => resources.add(t));
      Object.keys(tf.data ?? {}).forEach((t) => data.add(t));
    }
  }
  return { resources, data };
}

const isNonAws = (t: string) => (NON_AWS_TYPES as readonly string[]).includes(t) || NON_AWS_PREFIXES.some((p) => t.startsWith(p));

describe("IAM permissions of the deploying identity", () => {
  const used = usedTypes();

  it("cover every AWS resource type the stacks use", () => {
    const missing = [...used.resources].filter((t) => !(t in RESOURCE_PERMISSIONS) && !isNonAws(t));
    expect(missing).toEqual([]);
    expect(used.resources.size).toBeGreaterThan(30);
  });

  it("cover every AWS data-source type the stacks use", () => {
    expect([...used.data].filter((t) => !(t in DATA_PERMISSIONS) && !isNonAws(t))).toEqual([]);
  });

  it("list no type the stacks do not use", () => {
    expect(Object.keys(RESOURCE_PERMISSIONS).filter((t) => !used.resources.has(t))).toEqual([]);
    expect(Object.keys(DATA_PERMISSIONS).filter((t) => !used.data.has(t))).toEqual([]);
  });

  it("treat only other providers' types as needing no AWS permission", () => {
    expect([...used.resources, ...used.data].filter((t) => isNonAws(t) && isAwsType(t))).toEqual([]);
  });

  it("give each AWS type its actions and the AWS page that defines them", () => {
    for (const [type, p] of [...Object.entries(RESOURCE_PERMISSIONS), ...Object.entries(DATA_PERMISSIONS), ["backend", S3_BACKEND_PERMISSION] as const]) {
      expect([type, Object.values(AWS_DOCS)]).toEqual([type, expect.arrayContaining([p.doc])]);
      for (const a of p.actions) expect([type, a]).toEqual([type, expect.stringMatching(/^(ec2|autoscaling|iam|kms|ssm|s3|logs|servicequotas):[A-Z][A-Za-z0-9]+$/)]);
      if (p.actions.length === 0) expect([type, p.note]).toEqual([type, expect.any(String)]);
    }
  });

  it("generate a policy that allows every action of the table, and nothing the table lacks", () => {
    const policy = deployerPolicy() as unknown as PolicyDocument;
    for (const action of allActions()) expect([action, evaluate([policy], { action, resource: "*" })]).toEqual([action, "Allow"]);
    expect(evaluate([policy], { action: "ec2:DeleteVpcEndpoints", resource: "*" })).toBe("ImplicitDeny");
    expect(evaluate([policy], { action: "iam:CreatePolicy", resource: "*" })).toBe("ImplicitDeny");
  });

  it("are documented in docs/iam-permissions.md as generated (run `npm run docs`)", () => {
    const doc = readFileSync(path.join(ROOT, "docs/iam-permissions.md"), "utf8");
    expect(renderIamDoc(doc)).toBe(doc);
    expect(doc).toContain("| resource `aws_autoscaling_group` |");
  });
});
