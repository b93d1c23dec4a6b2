/**
 * Tags on what the worker group launches. The provider's default_tags reach
 * the launch template and the group themselves, never the instances and
 * volumes the group starts from them: those get the template's
 * tag_specifications and the group's propagated tags, nothing else.
 */
import { oneResource, synthApp } from "./helpers/synth";
import { commonTags } from "../lib/naming";

type Json = Record<string, unknown>;

describe("worker tags", () => {
  const app = synthApp({ name: "tagged", tags: { CostCenter: "cc-42", Owner: "platform-team" } });
  const cluster = app.stack("cluster");
  const template = oneResource(cluster, "aws_launch_template");
  const group = oneResource(cluster, "aws_autoscaling_group");
  const expected = commonTags(app.config);

  it("the project's tags are the configured ones plus Project and ManagedBy", () => {
    expect(expected).toEqual({ Project: "tagged", ManagedBy: "cdktf", CostCenter: "cc-42", Owner: "platform-team" });
  });

  it.each(["instance", "volume"])("the launch template tags every %s it launches with them", (resourceType) => {
    const specs = template.tag_specifications as Array<{ resource_type: string; tags: Record<string, string> }>;
    const spec = specs.filter((s) => s.resource_type === resourceType);
    expect(spec).toHaveLength(1);
    expect(spec[0]?.tags).toMatchObject({ ...expected, Name: "tagged-worker", "k8s-mesh/role": "worker" });
  });

  it("the group propagates them to its instances at launch", () => {
    const tags = group.tag as Array<{ key: string; value: string; propagate_at_launch: boolean }>;
    for (const [key, value] of Object.entries(expected)) {
      expect(tags).toContainEqual({ key, value, propagate_at_launch: true });
    }
    expect(tags.every((t) => t.propagate_at_launch === true)).toBe(true);
  });

  it("the provider's default_tags carry the same tags for everything else", () => {
    const aws = (cluster.tf.provider?.aws as Json[])[0] as { default_tags: Array<{ tags: Record<string, string> }> };
    expect(aws.default_tags[0]?.tags).toEqual(expected);
  });
});
