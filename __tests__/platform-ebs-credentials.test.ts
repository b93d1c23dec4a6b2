/**
 * The EBS CSI controller's own credentials: an IAM user limited to this
 * cluster's tagged volumes, its access key, and the kube-system Secret the
 * driver reads it from. The key may appear in one place only: the Secret's
 * sensitive data.
 */
import { parse } from "yaml";
import { RELEASES } from "../lib/k8s-names";
import { resourceName } from "../lib/naming";
import { ebsCsiPolicy, type PolicyDocument } from "../lib/storage";
import { loadChartKeys, unknownValuePaths } from "../lib/chart-values";
import { ACCESS_KEY_ANNOTATION, EBS_CSI_NAMESPACE, ebsCsiDriverValues } from "../stacks/platform/ebs-csi-driver";
import { EBS_CSI_CREDENTIALS_SECRET, iamPath } from "../stacks/platform/ebs-csi-credentials";
import { oneResource, releaseNamed, resourcesOf, synthApp, type SynthesizedStack } from "./helpers/synth";

/** `type.id` of the one resource of `type` (in the EBS CSI construct). */
function addressOf(stack: SynthesizedStack, type: string): string {
  const ids = Object.keys(resourcesOf(stack, type)).filter((id) => id.startsWith("ebs-csi"));
  if (ids.length !== 1) throw new Error(`expected one ${type} of the EBS CSI driver, found ${ids.length}`);
  return `${type}.${ids[0]}`;
}

describe("EbsCsiCredentials", () => {
  const { config, stack } = synthApp();
  const platform = stack("platform");
  const user = oneResource(platform, "aws_iam_user", "ebs-csi");
  const userAddress = addressOf(platform, "aws_iam_user");
  const keyAddress = addressOf(platform, "aws_iam_access_key");
  const secret = oneResource(platform, "kubernetes_secret_v1", "ebs-csi");
  const release = releaseNamed(platform, RELEASES.awsEbsCsiDriver).body;

  it("creates one IAM user for the controller, named and placed by the project's naming helper", () => {
    expect(user).toMatchObject({ name: resourceName(config, "ebs-csi-controller"), path: `/${config.name}/` });
    expect(iamPath(config)).toBe("/k8s-mesh/");
    const other = oneResource(synthApp({ name: "other-mesh" }).stack("platform"), "aws_iam_user");
    expect(other).toMatchObject({ name: "other-mesh-ebs-csi-controller", path: "/other-mesh/" });
  });

  it("gives the user exactly ebsCsiPolicy(config): unscoped reads, every write scoped by this cluster's tags in this region", () => {
    const policies = Object.values(resourcesOf(platform, "aws_iam_user_policy"));
    expect(policies).toHaveLength(1);
    expect(policies[0]!.user).toBe(`\${${userAddress}.name}`);
    const document = JSON.parse(String(policies[0]!.policy)) as PolicyDocument;
    expect(document).toEqual(ebsCsiPolicy(config));
    for (const s of document.Statement.filter((st) => st.Resource !== "*")) {
      expect(Object.keys(s.Condition?.StringEquals ?? {}).some((k) => k.startsWith("aws:RequestTag/") || k.startsWith("aws:ResourceTag/") || k === "ec2:CreateAction")).toBe(true);
      for (const r of [s.Resource].flat()) expect(r).toMatch(new RegExp(`^arn:aws:ec2:${config.region}:\\*:(volume|instance)/\\*$`));
    }
    expect(document.Statement.filter((st) => st.Resource === "*").flatMap((st) => st.Action).every((a) => a.startsWith("ec2:Describe"))).toBe(true);
    // Nothing else is granted to the user: no managed policy, no group.
    expect(resourcesOf(platform, "aws_iam_user_policy_attachment")).toEqual({});
    expect(resourcesOf(platform, "aws_iam_user_group_membership")).toEqual({});
    expect(resourcesOf(platform, "aws_iam_policy_attachment")).toEqual({});
  });

  it("creates one access key for that user, replaced new-before-old", () => {
    const key = oneResource(platform, "aws_iam_access_key", "ebs-csi");
    expect(key.user).toBe(`\${${userAddress}.name}`);
    expect(key.lifecycle).toEqual({ create_before_destroy: true });
    expect(key.pgp_key).toBeUndefined();
  });

  it("keeps the key in a kube-system Secret whose data (sensitive in the Kubernetes provider) holds the key id and the secret", () => {
    expect(secret.metadata).toEqual({ name: EBS_CSI_CREDENTIALS_SECRET.name, namespace: EBS_CSI_NAMESPACE });
    expect(EBS_CSI_NAMESPACE).toBe("kube-system");
    expect(secret.data).toEqual({
      [EBS_CSI_CREDENTIALS_SECRET.keyId]: `\${${keyAddress}.id}`,
      [EBS_CSI_CREDENTIALS_SECRET.accessKey]: `\${${keyAddress}.secret}`,
    });
  });

  it("hands the controller the Secret by reference, with the key names the pinned chart reads", () => {
    const values = parse((release.values as string[])[0] as string) as Record<string, unknown>;
    expect(values.awsAccessSecret).toEqual({ name: EBS_CSI_CREDENTIALS_SECRET.name, keyId: "key_id", accessKey: "access_key" });
    expect(unknownValuePaths({ awsAccessSecret: EBS_CSI_CREDENTIALS_SECRET }, loadChartKeys("awsEbsCsiDriver"))).toEqual([]);
    expect(unknownValuePaths(ebsCsiDriverValues(config), loadChartKeys("awsEbsCsiDriver"))).toEqual([]);
  });

  it("puts the key secret nowhere but the Secret: not in the release, not in any output", () => {
    const secretRef = `${keyAddress}.secret`;
    const json = JSON.stringify(platform.tf);
    const uses = json.split(secretRef).length - 1;
    expect(uses).toBe(1); // the Secret's data
    expect(JSON.stringify(secret.data)).toContain(secretRef);
    // The release: values are plain YAML with no reference at all; the only apply-time value is a hash of the key id.
    const releaseText = JSON.stringify(release);
    expect(releaseText).not.toContain(secretRef);
    expect(release.set_sensitive).toBeUndefined();
    expect((release.values as string[]).join("\n")).not.toContain("${");
    expect(release.set).toEqual([
      { name: `controller.podAnnotations.${ACCESS_KEY_ANNOTATION}`, type: "string", value: `\${sha1(${keyAddress}.id)}` },
    ]);
    // No output of any stack names the access key (sensitive or not).
    for (const name of ["network", "cluster", "platform", "apps"] as const) {
      expect(JSON.stringify(stack(name).tf.output ?? {})).not.toContain("aws_iam_access_key");
    }
  });

  it("rolls the controller when the key changes (the hash of its id is a pod annotation, read from the chart's wildcard path)", () => {
    const keys = loadChartKeys("awsEbsCsiDriver");
    expect(keys.header.wildcards.map((w) => w.path)).toContain("**.podAnnotations");
    expect(unknownValuePaths({ controller: { podAnnotations: { [ACCESS_KEY_ANNOTATION]: "x" } } }, keys)).toEqual([]);
  });

  it("exists before the driver is installed and is removed only after it", () => {
    const deps = (release.depends_on as string[]) ?? [];
    expect(deps).toEqual(expect.arrayContaining([keyAddress, addressOf(platform, "kubernetes_secret_v1"), addressOf(platform, "aws_iam_user_policy")]));
  });
});
