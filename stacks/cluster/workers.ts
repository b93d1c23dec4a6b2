import { Construct } from "constructs";
import { Token, type ITerraformDependable } from "cdktf";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import type { StaticResource } from "@cdktf/provider-time/lib/static-resource";
import type { Config } from "../../lib/config";
import { clusterTag, commonTags, resourceName } from "../../lib/naming";
import type { NodeRole } from "./node-roles";
import { ROOT_VOLUME, NODE_METADATA_OPTIONS } from "./node-settings";
import { UBUNTU_ROOT_DEVICE, WORKER_WARMUP_SECONDS, workerGroupNames } from "./settings";
import { workerUserData } from "./userdata/bootstrap";
import type { WorkerLaunchHook } from "./worker-launch-hook";

export interface WorkersProps {
  readonly config: Config;
  readonly subnetIds: string[];
  /** The cluster security group (workers carry no other). */
  readonly securityGroupId: string;
  readonly amiId: string;
  readonly role: NodeRole;
  /** What must exist before a worker boots (the SSM parameters it reads). */
  readonly bootDependencies: ITerraformDependable[];
  /** Holds each new worker until it has joined (see worker-launch-hook.ts). */
  readonly launchHook: WorkerLaunchHook;
  /** Replacing this resource rolls the workers (config.cluster.nodeGeneration). */
  readonly generation: StaticResource;
}

/**
 * The minimum healthy percentage that lets an instance refresh replace one
 * worker at a time (0 with a single worker: it must go down to be replaced).
 */
export function oneAtATimeMinHealthyPercentage(count: number): number {
  return count <= 1 ? 0 : Math.floor((100 * (count - 1)) / count);
}

/**
 * Workers: a launch template and an Auto Scaling group of fixed size across
 * the subnets, so a lost worker is replaced and joins on its own.
 *
 * The launch template ignores a newer AMI and an edited user-data; bumping
 * config.cluster.nodeGeneration replaces it (a new template, created before
 * the old one is deleted), and the group's instance refresh then replaces the
 * workers one at a time.
 */
export class Workers extends Construct {
  readonly launchTemplate: LaunchTemplate;
  readonly group: AutoscalingGroup;
  readonly launchHook: WorkerLaunchHook;

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
    const { config } = props;
    const { workers } = config.cluster;
    const name = resourceName(config, "worker");
    // The provider's default_tags stop at the launch template and the group:
    // the instances and volumes they launch get only these tags, so the
    // project's tags (config.tags, Project, ManagedBy) are spelled out here.
    const tags = { ...commonTags(config), Name: name, "k8s-mesh/role": "worker", ...clusterTag(config) };

    // A worker is in service only once it has joined; one that cannot is replaced.
    this.launchHook = props.launchHook;
    const grants = [...props.role.grants, this.launchHook.grant];

    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      namePrefix: `${name}-`,
      description: `Kubernetes workers of ${config.name}`,
      imageId: props.amiId,
      instanceType: workers.instanceType,
      iamInstanceProfile: { arn: props.role.instanceProfile.arn },
      keyName: config.access.sshKeyName ?? undefined,
      // The same for every worker and with no Terraform reference: encoded here.
      userData: Buffer.from(workerUserData(config), "utf8").toString("base64"),
      ebsOptimized: "true",
      metadataOptions: NODE_METADATA_OPTIONS,
      blockDeviceMappings: [
        {
          deviceName: UBUNTU_ROOT_DEVICE,
          ebs: {
            volumeType: ROOT_VOLUME.volumeType,
            volumeSize: workers.rootVolumeGiB,
            encrypted: String(ROOT_VOLUME.encrypted),
            deleteOnTermination: String(ROOT_VOLUME.deleteOnTermination),
          },
        },
      ],
      networkInterfaces: [
        { deviceIndex: 0, associatePublicIpAddress: "true", securityGroups: [props.securityGroupId], deleteOnTermination: "true" },
      ],
      tagSpecifications: [
        { resourceType: "instance", tags },
        { resourceType: "volume", tags },
      ],
      updateDefaultVersion: true,
      tags: { Name: name },
      dependsOn: [...props.bootDependencies, ...grants],
      lifecycle: {
        createBeforeDestroy: true,
        ignoreChanges: ["image_id", "user_data"],
        replaceTriggeredBy: [props.generation],
      },
    });

    this.group = new AutoscalingGroup(this, "group", {
      name: workerGroupNames(config).group,
      minSize: workers.count,
      maxSize: workers.count,
      desiredCapacity: workers.count,
      vpcZoneIdentifier: props.subnetIds,
      launchTemplate: { id: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) },
      healthCheckType: "EC2",
      initialLifecycleHook: [this.launchHook.hook],
      // Workers reach InService only once joined; the readiness gate does the
      // waiting, with its own timeout and messages.
      waitForCapacityTimeout: "0",
      instanceRefresh: {
        strategy: "Rolling",
        preferences: {
          minHealthyPercentage: oneAtATimeMinHealthyPercentage(workers.count),
          maxHealthyPercentage: 100,
          instanceWarmup: String(WORKER_WARMUP_SECONDS),
        },
      },
      tag: Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      dependsOn: [...props.bootDependencies, ...grants],
    });
  }
}
