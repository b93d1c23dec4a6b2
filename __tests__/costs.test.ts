/**
 * The cost table prices what the stacks really create: its quantities are
 * read back from the synthesized stacks (instances, volumes, addresses, keys,
 * buckets), for the defaults and for a bigger configuration.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { costLines, fixedHourly, persistentVolumeGiB, PRICES } from "../lib/costs";
import { resourcesOf, synthApp } from "./helpers/synth";

type R = Record<string, unknown>;

describe.each([
  ["the defaults", {}],
  ["bigger workers, flow logs on, no Loki", { cluster: { workers: { count: 3, instanceType: "t3.xlarge", rootVolumeGiB: 60 } }, network: { flowLogs: { enabled: true } }, platform: { monitoring: { prometheusVolumeGiB: 50, retentionSize: "40GB" }, logs: { enabled: false } } }],
])("cost lines for %s", (_name, context) => {
  const app = synthApp(context);
  const c = app.config;
  const cluster = app.stack("cluster");
  const one = (type: string): R => {
    const all = Object.values(resourcesOf(cluster, type));
    expect(all).toHaveLength(1);
    return all[0] as R;
  };

  it("price the instance types and counts the stacks launch", () => {
    const instance = one("aws_instance");
    const template = one("aws_launch_template");
    const group = one("aws_autoscaling_group");
    const lines = costLines(c);
    expect(lines[0]?.item).toBe(`EC2 control plane (${String(instance.instance_type)})`);
    expect(lines[1]).toMatchObject({ item: `EC2 workers (${String(template.instance_type)})`, quantity: String(group.desired_capacity) });
    expect(lines[1]?.hourly).toBeCloseTo((PRICES.ec2Hourly[String(template.instance_type)] as number) * Number(group.desired_capacity), 6);
  });

  it("price the root volumes' sizes", () => {
    const cp = (one("aws_instance").root_block_device as R).volume_size as number;
    const w = (((one("aws_launch_template").block_device_mappings as R[])[0] as R).ebs as R).volume_size as number;
    const workers = Number(one("aws_autoscaling_group").desired_capacity);
    expect(costLines(c)[2]?.quantity).toBe(`${cp + workers * w} GiB (${cp} + ${workers} × ${w})`);
  });

  it("price the persistent volumes the monitoring and log releases claim", () => {
    const releases = Object.values(resourcesOf(app.stack("platform"), "helm_release")) as R[];
    // Volume sizes are the `storage:` requests and `size:` settings in GiB of any release's values.
    const sizes = releases.flatMap((r) => [...JSON.stringify(r.values).matchAll(/(?:storage|size): *\\?"?(\d+)Gi\b/g)].map((m) => Number(m[1])));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(persistentVolumeGiB(c));
  });

  it("count one public IPv4 address per node, one KMS key and the snapshot bucket", () => {
    expect(Object.keys(resourcesOf(cluster, "aws_eip"))).toHaveLength(1);
    const workers = Number(one("aws_autoscaling_group").desired_capacity);
    expect(costLines(c).find((l) => l.item.startsWith("Public IPv4"))?.quantity).toBe(String(1 + workers));
    expect(Object.keys(resourcesOf(cluster, "aws_kms_key"))).toHaveLength(1);
    // The service-account issuer's bucket holds two documents of a few KB, read by STS: no cost line.
    expect(Object.keys(resourcesOf(cluster, "aws_s3_bucket")).filter((id) => !id.startsWith("service-account-issuer_"))).toHaveLength(1);
    const logGroups = Object.keys(resourcesOf(app.stack("network"), "aws_cloudwatch_log_group")).length;
    expect(costLines(c).find((l) => l.item.startsWith("CloudWatch"))?.quantity.startsWith("on")).toBe(logGroups === 1);
  });

  it("has a price for every instance type it launches", () => {
    expect(costLines(c).filter((l) => l.note === "price not in lib/costs.ts")).toEqual([]);
  });
});

it("the README's headline figure is the generated total", () => {
  const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
  const total = fixedHourly(synthApp({}).config);
  expect(readme).toContain(`costs about **$${total.toFixed(2)} an hour** (about $${Math.round(total * 730)} a month)`);
});
