/**
 * The plan-time checks of a real account (stacks/network/preflight.ts): each
 * postcondition is evaluated by Terraform itself against an answer of the
 * AWS API, to show the message a first plan prints.
 *
 * The answers use the attribute names of the AWS provider's data sources
 * (registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/data-sources:
 * availability_zones `names`; ec2_instance_type_offerings `instance_types`
 * and `locations`, one pair per offering; servicequotas_service_quota
 * `value`; ec2_instance_type `default_vcpus`). The zone names are those of
 * ap-northeast-2 (a, b, c, d: `aws ec2 describe-availability-zones`); t3.medium
 * and t3.large have 2 vCPUs (EC2 instance type specifications).
 */
import { dataOf, synthNetwork, type SynthesizedStack } from "./helpers/synth";
import { evaluatePostcondition, postconditionsOf, type Postcondition } from "./helpers/condition-eval";
import { describeWith, requireTool, TERRAFORM_INSTALL_HINT } from "./helpers/tools";
import { isStandardFamily, STANDARD_VCPU_QUOTA } from "../stacks/network/preflight";

const terraform = requireTool("terraform", "terraform", TERRAFORM_INSTALL_HINT);

const SEOUL_ZONES = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d"];

function onlyData(stack: SynthesizedStack, type: string): [string, Record<string, unknown>] {
  const entries = Object.entries(dataOf(stack, type));
  if (entries.length !== 1) throw new Error(`expected one data.${type}, found ${entries.length}`);
  return [`data.${type}.${entries[0]?.[0]}`, entries[0]?.[1] as Record<string, unknown>];
}

function onlyCheck(stack: SynthesizedStack, type: string): Postcondition {
  const checks = postconditionsOf(onlyData(stack, type)[1]);
  expect(checks).toHaveLength(1);
  return checks[0] as Postcondition;
}

/** Offerings as DescribeInstanceTypeOfferings lists them: one (type, zone) pair each. */
function offerings(pairs: Array<[string, string]>) {
  return { instance_types: pairs.map((p) => p[0]), locations: pairs.map((p) => p[1]) };
}

/** The vCPU answers for each instance-type data source, keyed by address. */
function vcpuAnswers(stack: SynthesizedStack, vcpus: Record<string, number>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(dataOf(stack, "aws_ec2_instance_type")).map(([id, body]) => [
      `data.aws_ec2_instance_type.${id}`,
      { default_vcpus: vcpus[String(body.instance_type)] },
    ]),
  );
}

describeWith(terraform)("plan-time checks of the account", () => {
  const network = synthNetwork();
  const tf = terraform as string;

  describe("availability zones", () => {
    const check = onlyCheck(network, "aws_availability_zones");

    it("pass when every configured zone is one of the region's", () => {
      expect(evaluatePostcondition(tf, check, { names: SEOUL_ZONES }).holds).toBe(true);
    });

    it("fail naming the zone the region lacks and the zones it has", () => {
      const wrong = onlyCheck(synthNetwork({ availabilityZones: ["ap-northeast-2a", "ap-northeast-2e"] }), "aws_availability_zones");
      expect(evaluatePostcondition(tf, wrong, { names: SEOUL_ZONES })).toEqual({
        holds: false,
        message:
          "availabilityZones: region ap-northeast-2 has no zone ap-northeast-2e that this account can use. " +
          "Its zones are: ap-northeast-2a, ap-northeast-2b, ap-northeast-2c, ap-northeast-2d. " +
          "Set availabilityZones (K8S_MESH_AVAILABILITY_ZONES) to zones from that list.",
      });
    });
  });

  describe("instance type offerings", () => {
    const check = onlyCheck(network, "aws_ec2_instance_type_offerings");
    const all: Array<[string, string]> = SEOUL_ZONES.flatMap((z) => [["t3.medium", z] as [string, string], ["t3.large", z] as [string, string]]);

    it("ask EC2 about exactly the configured types and zones", () => {
      const [, body] = onlyData(network, "aws_ec2_instance_type_offerings");
      expect(body).toMatchObject({
        location_type: "availability-zone",
        filter: [
          { name: "instance-type", values: ["t3.medium", "t3.large"] },
          { name: "location", values: ["ap-northeast-2a", "ap-northeast-2c"] },
        ],
      });
    });

    it("pass when each type is offered where it launches", () => {
      expect(evaluatePostcondition(tf, check, offerings(all)).holds).toBe(true);
      // The control plane needs only the first zone.
      const cpOnlyInA = all.filter(([t, z]) => t !== "t3.medium" || z === "ap-northeast-2a");
      expect(evaluatePostcondition(tf, check, offerings(cpOnlyInA)).holds).toBe(true);
    });

    it("fail naming each type and zone EC2 does not offer, with the command that lists the offerings", () => {
      const noLargeInC = all.filter(([t, z]) => !(t === "t3.large" && z === "ap-northeast-2c"));
      expect(evaluatePostcondition(tf, check, offerings(noLargeInC))).toEqual({
        holds: false,
        message:
          "EC2 does not offer these instance types in these zones of ap-northeast-2 (type@zone): t3.large@ap-northeast-2c. " +
          "The control plane (cluster.controlPlane.instanceType) runs in the first zone, workers (cluster.workers.instanceType) in every zone. " +
          "Choose another type or other availabilityZones; where a type is offered: " +
          "aws ec2 describe-instance-type-offerings --region ap-northeast-2 --location-type availability-zone --filters Name=instance-type,Values=t3.medium,t3.large",
      });
    });

    it("fail for a misspelt type, which EC2 offers nowhere", () => {
      const typo = synthNetwork({ cluster: { workers: { instanceType: "t3.lage" } } });
      const r = evaluatePostcondition(tf, onlyCheck(typo, "aws_ec2_instance_type_offerings"), offerings(all));
      expect(r.holds).toBe(false);
      expect(r.message).toContain("(type@zone): t3.lage@ap-northeast-2a, t3.lage@ap-northeast-2c.");
    });
  });

  describe("vCPU quota", () => {
    const [, quota] = onlyData(network, "aws_servicequotas_service_quota");
    const check = onlyCheck(network, "aws_servicequotas_service_quota");
    const twoVcpus = vcpuAnswers(network, { "t3.medium": 2, "t3.large": 2 });

    it("reads the On-Demand standard vCPU quota of EC2", () => {
      expect(quota).toMatchObject({ service_code: STANDARD_VCPU_QUOTA.serviceCode, quota_code: "L-1216C47A" });
    });

    it("passes when the quota covers control plane and workers (6 vCPUs by default)", () => {
      expect(evaluatePostcondition(tf, check, { value: 6 }, twoVcpus).holds).toBe(true);
      expect(evaluatePostcondition(tf, check, { value: 5 }, twoVcpus).holds).toBe(false);
    });

    it("fails with what the nodes need, what the account allows, that it is a limit, and how to raise or skip it", () => {
      expect(evaluatePostcondition(tf, check, { value: 5 }, twoVcpus)).toEqual({
        holds: false,
        message:
          "The nodes need 6 On-Demand standard vCPUs (control plane: 1 × t3.medium (2 vCPUs each), workers: 2 × t3.large (2 vCPUs each)), " +
          'but this account\'s quota "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" (L-1216C47A) in ap-northeast-2 is 5. ' +
          "That is the account's limit, not its free capacity: vCPUs of instances already running count against it too. " +
          "Raise it in the Service Quotas console (Amazon EC2, L-1216C47A) or with: aws service-quotas request-service-quota-increase " +
          "--region ap-northeast-2 --service-code ec2 --quota-code L-1216C47A --desired-value <vCPUs>; or use smaller instance types or fewer workers. " +
          "Where servicequotas:GetServiceQuota is denied, set cluster.checkVcpuQuota (K8S_MESH_CLUSTER__CHECK_VCPU_QUOTA=false) to skip this check.",
      });
    });

    it("counts each node kind with its own type's vCPUs", () => {
      const big = synthNetwork({ cluster: { workers: { count: 3, instanceType: "m6i.xlarge" } } });
      const answers = vcpuAnswers(big, { "t3.medium": 2, "m6i.xlarge": 4 });
      const r = evaluatePostcondition(tf, onlyCheck(big, "aws_servicequotas_service_quota"), { value: 13 }, answers);
      expect(r.holds).toBe(false);
      expect(r.message).toContain("The nodes need 14 On-Demand standard vCPUs (control plane: 1 × t3.medium (2 vCPUs each), workers: 3 × m6i.xlarge (4 vCPUs each))");
      expect(evaluatePostcondition(tf, onlyCheck(big, "aws_servicequotas_service_quota"), { value: 14 }, answers).holds).toBe(true);
    });

    it("leaves out node kinds whose family has a quota of its own", () => {
      expect(["t3.large", "m7g.large", "c6gn.xlarge", "r5.large", "z1d.large", "i4i.large", "d3.xlarge", "h1.2xlarge"].filter(isStandardFamily)).toHaveLength(8);
      expect(["g5.xlarge", "p4d.24xlarge", "x2idn.16xlarge", "inf2.xlarge", "trn1.2xlarge", "mac1.metal", "hpc7g.4xlarge", "dl1.24xlarge", "f1.2xlarge"].filter(isStandardFamily)).toEqual([]);
      const gpu = synthNetwork({ cluster: { workers: { instanceType: "g5.xlarge" } } });
      const r = evaluatePostcondition(tf, onlyCheck(gpu, "aws_servicequotas_service_quota"), { value: 1 }, vcpuAnswers(gpu, { "t3.medium": 2 }));
      expect(r.message).toContain("The nodes need 2 On-Demand standard vCPUs (control plane: 1 × t3.medium (2 vCPUs each))");
    });

    it("is not read at all when cluster.checkVcpuQuota is false", () => {
      const off = synthNetwork({ cluster: { checkVcpuQuota: false } });
      expect(dataOf(off, "aws_servicequotas_service_quota")).toEqual({});
      expect(dataOf(off, "aws_ec2_instance_type")).toEqual({});
      // The other checks stay.
      expect(Object.keys(dataOf(off, "aws_ec2_instance_type_offerings"))).toHaveLength(1);
    });
  });
});
