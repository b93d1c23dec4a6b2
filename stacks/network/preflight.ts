import { Construct } from "constructs";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { DataAwsEc2InstanceType } from "@cdktf/provider-aws/lib/data-aws-ec2-instance-type";
import { DataAwsEc2InstanceTypeOfferings } from "@cdktf/provider-aws/lib/data-aws-ec2-instance-type-offerings";
import { DataAwsServicequotasServiceQuota } from "@cdktf/provider-aws/lib/data-aws-servicequotas-service-quota";
import { envName, type Config } from "../../lib/config";

/**
 * The EC2 quota "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z)
 * instances", in vCPUs (Service Quotas, service `ec2`).
 */
export const STANDARD_VCPU_QUOTA = { serviceCode: "ec2", quotaCode: "L-1216C47A" } as const;

/** The setting that turns the vCPU quota check off. */
export const VCPU_QUOTA_SETTING = `cluster.checkVcpuQuota (${envName(["cluster", "checkVcpuQuota"])}=false)`;

/**
 * True when On-Demand instances of this type count against L-1216C47A: the
 * families starting with A, C, D, H, I, M, R, T or Z, except those AWS gives
 * quotas of their own (Mac, HPC, DL, Inferentia, Trainium; EC2's "On-Demand
 * Instance quotas" page lists which family counts where).
 */
export function isStandardFamily(instanceType: string): boolean {
  const family = instanceType.split(".")[0] ?? "";
  return /^[acdhimrtz]/.test(family) && !/^(mac|hpc|dl|inf|trn)/.test(family);
}

/** An HCL list of strings (JSON's array syntax is HCL's too). */
function hclList(values: readonly string[]): string {
  return JSON.stringify(values);
}

export interface PreflightProps {
  readonly config: Config;
}

/**
 * Checks a real account must pass before anything is created, read at plan
 * time by the first stack every deploy plans (network), each failing with one
 * message that says what to change:
 * - every availability zone in config belongs to the region (and this account sees it);
 * - every instance type is offered in every zone it launches in (the control
 *   plane in the first zone, workers in all);
 * - the account's On-Demand standard vCPU quota covers the nodes, unless
 *   config.cluster.checkVcpuQuota is false (where servicequotas:GetServiceQuota is denied).
 *
 * They are data-source postconditions: `terraform destroy` reports a failing
 * one as a warning during its refresh and goes on (Terraform >= 1.3.6).
 */
export class Preflight extends Construct {
  /** `type@zone` for each place an instance type must be offered. */
  readonly requiredOfferings: string[];
  /** The vCPU quota read, when checked. */
  readonly vcpuQuota?: DataAwsServicequotasServiceQuota;

  constructor(scope: Construct, id: string, props: PreflightProps) {
    super(scope, id);
    const { config } = props;
    const { region, availabilityZones } = config;
    const { controlPlane, workers } = config.cluster;
    const firstZone = availabilityZones[0] ?? "";

    new DataAwsAvailabilityZones(this, "zones", {
      lifecycle: {
        postcondition: [
          {
            condition: `\${length(setsubtract(${hclList(availabilityZones)}, self.names)) == 0}`,
            errorMessage:
              `availabilityZones: region ${region} has no zone \${join(", ", sort(setsubtract(${hclList(availabilityZones)}, self.names)))} that this account can use. ` +
              `Its zones are: \${join(", ", self.names)}. Set availabilityZones (${envName(["availabilityZones"])}) to zones from that list.`,
          },
        ],
      },
    });

    const types = [...new Set([controlPlane.instanceType, workers.instanceType])];
    this.requiredOfferings = [
      `${controlPlane.instanceType}@${firstZone}`,
      ...availabilityZones.map((zone) => `${workers.instanceType}@${zone}`),
    ].filter((pair, i, all) => all.indexOf(pair) === i);
    const required = hclList(this.requiredOfferings);
    const offered = '[for i, t in self.instance_types : "${t}@${self.locations[i]}"]';
    new DataAwsEc2InstanceTypeOfferings(this, "instance-type-offerings", {
      locationType: "availability-zone",
      filter: [
        { name: "instance-type", values: types },
        { name: "location", values: availabilityZones },
      ],
      lifecycle: {
        postcondition: [
          {
            condition: `\${length(setsubtract(${required}, ${offered})) == 0}`,
            errorMessage:
              `EC2 does not offer these instance types in these zones of ${region} (type@zone): \${join(", ", sort(setsubtract(${required}, ${offered})))}. ` +
              `The control plane (cluster.controlPlane.instanceType) runs in the first zone, workers (cluster.workers.instanceType) in every zone. ` +
              `Choose another type or other availabilityZones; where a type is offered: ` +
              `aws ec2 describe-instance-type-offerings --region ${region} --location-type availability-zone --filters Name=instance-type,Values=${types.join(",")}`,
          },
        ],
      },
    });

    const standard = [
      { what: "control plane", type: controlPlane.instanceType, count: 1 },
      { what: "workers", type: workers.instanceType, count: workers.count },
    ].filter((n) => isStandardFamily(n.type));
    if (!config.cluster.checkVcpuQuota || standard.length === 0) return;

    const vcpus = new Map<string, string>();
    for (const type of new Set(standard.map((n) => n.type))) {
      const info = new DataAwsEc2InstanceType(this, `vcpus-${type}`, { instanceType: type });
      vcpus.set(type, `${info.fqn}.default_vcpus`);
    }
    const needed = standard.map((n) => `${n.count} * ${vcpus.get(n.type)}`).join(" + ");
    const breakdown = standard.map((n) => `${n.what}: ${n.count} × ${n.type} (\${${vcpus.get(n.type)}} vCPUs each)`).join(", ");
    const { serviceCode, quotaCode } = STANDARD_VCPU_QUOTA;
    this.vcpuQuota = new DataAwsServicequotasServiceQuota(this, "vcpu-quota", {
      serviceCode,
      quotaCode,
      lifecycle: {
        postcondition: [
          {
            condition: `\${self.value >= ${needed}}`,
            errorMessage:
              `The nodes need \${${needed}} On-Demand standard vCPUs (${breakdown}), but this account's quota ` +
              `"Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" (${quotaCode}) in ${region} is \${self.value}. ` +
              `That is the account's limit, not its free capacity: vCPUs of instances already running count against it too. ` +
              `Raise it in the Service Quotas console (Amazon EC2, ${quotaCode}) or with: aws service-quotas request-service-quota-increase ` +
              `--region ${region} --service-code ${serviceCode} --quota-code ${quotaCode} --desired-value <vCPUs>; or use smaller instance types or fewer workers. ` +
              `Where servicequotas:GetServiceQuota is denied, set ${VCPU_QUOTA_SETTING} to skip this check.`,
          },
        ],
      },
    });
  }
}
