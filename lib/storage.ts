/**
 * Persistent volumes: the contract between the platform stack (which runs
 * the AWS EBS CSI driver, its credentials and its StorageClass) and the
 * cluster stack (whose nodes the driver runs on).
 *
 * The platform side installs the driver with its controller on the workers,
 * assuming an IAM role of its own by web identity, whose only policy is
 * `ebsCsiPolicy(config)` (every write limited by tag to this cluster's
 * volumes and instances); no access key exists. The node plugin runs on every node's host network and makes no AWS
 * call. One default StorageClass of encrypted gp3 volumes. For that to work,
 * the cluster side must provide, on every deploy:
 *
 * 1. IMDSv2 on every node with a PUT response hop limit of
 *    `EBS_CSI_NODE_REQUIREMENTS.imdsHopLimit` (1): the node plugin, a host
 *    process as far as the network goes, reads its instance id and zone there,
 *    and no pod (on any node, the control plane included) can reach instance
 *    credentials. No node role carries any EC2 volume permission;
 * 2. the cluster tag (`clusterTag(config)`) on every node instance, which the
 *    policy's attach and detach statements require;
 * 3. a provider ID on every Node, `aws:///<availability zone>/<instance id>`
 *    (kubelet `--provider-id`), which ties a Node to its instance for the
 *    driver's Kubernetes metadata source and for the removal of dead workers.
 *
 * Nothing here creates a resource: these are plain values and functions both
 * stacks and the tests read.
 */
import type { Config } from "./config";
import { clusterTag } from "./naming";

/** The CSI driver name volumes are provisioned by (the StorageClass's provisioner). */
export const EBS_CSI_PROVISIONER = "ebs.csi.aws.com";

/** The StorageClass every persistent volume of the platform uses (also the cluster's default class). */
export const STORAGE_CLASS = {
  name: "ebs-gp3",
  /** EBS volume type. */
  volumeType: "gp3",
  /** Filesystem the node plugin formats a new volume with. */
  fsType: "ext4",
} as const;

/** The tag the driver puts on every volume it creates (its own documented tag, not configurable). */
export const EBS_CSI_DRIVER_TAG = { key: "ebs.csi.aws.com/cluster", value: "true" } as const;

/**
 * The tags every volume the driver creates for this cluster carries: the
 * cluster tag (the driver's `--k8s-tag-cluster-id`) and the driver's own tag.
 * The IAM policy requires both on create and on every later write; the sweep
 * after a destroy looks for both.
 */
export function ebsVolumeTags(config: Pick<Config, "name">): Record<string, string> {
  return { ...clusterTag(config), [EBS_CSI_DRIVER_TAG.key]: EBS_CSI_DRIVER_TAG.value };
}

/** The cluster tag's key (`kubernetes.io/cluster/<name>`). */
export function clusterTagKey(config: Pick<Config, "name">): string {
  const [key] = Object.keys(clusterTag(config));
  return key as string;
}

/**
 * Tags for cost allocation on every volume: the project name and the user's
 * tags. The AWS provider's default tags never reach volumes created by the
 * driver, so they are handed to it instead (`--extra-tags`).
 */
export function extraVolumeTags(config: Pick<Config, "name" | "tags">): Record<string, string> {
  return { Project: config.name, ...config.tags };
}

/** What the cluster stack must give the nodes for the driver (see the module comment). */
export const EBS_CSI_NODE_REQUIREMENTS = {
  /**
   * IMDSv2 PUT response hop limit on every node, control plane and workers
   * alike: only host-network processes (the bootstrap, the SSM agent, the
   * driver's node plugin) reach instance metadata; pods in their own network
   * namespace do not, so none can take a node role's credentials.
   */
  imdsHopLimit: 1,
  /** IMDSv2 tokens required everywhere (no IMDSv1). */
  httpTokens: "required",
} as const;

/** The provider ID a node's kubelet must register with (`--provider-id`). */
export function awsProviderId(availabilityZone: string, instanceId: string): string {
  return `aws:///${availabilityZone}/${instanceId}`;
}

/** Matches a provider ID of the form `awsProviderId` builds. */
export const AWS_PROVIDER_ID_PATTERN = /^aws:\/\/\/[a-z]{2}(-gov)?-[a-z]+-\d[a-z]\/i-[0-9a-f]{8,17}$/;

/** `aws`, `aws-us-gov` or `aws-cn`: the ARN partition of a region. */
export function arnPartition(region: string): string {
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("cn-")) return "aws-cn";
  return "aws";
}

/** One IAM policy statement. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/**
 * The permissions the EBS CSI controller needs: the one policy of its IAM
 * role (stacks/platform/ebs-csi-identity.ts); no node role has any of them.
 *
 * Reads cannot be scoped (EC2's Describe calls take no resource). Every write
 * is limited to this region and to volumes carrying both tags of
 * `ebsVolumeTags`: a volume may only be created with them, tags may only be
 * written as part of that creation, and attach, detach, resize and delete
 * act only on volumes that carry them and instances that carry the cluster
 * tag. No snapshot permissions: the platform takes none.
 *
 * Encryption uses the account's AWS-managed `aws/ebs` key, which EC2 may use
 * on behalf of any principal of the account, so no KMS statement is needed
 * (a customer-managed key would need `kms:CreateGrant` and friends).
 */
export function ebsCsiPolicy(config: Pick<Config, "name" | "region">): PolicyDocument {
  const arn = (type: "volume" | "instance") => `arn:${arnPartition(config.region)}:ec2:${config.region}:*:${type}/*`;
  const tags = ebsVolumeTags(config);
  const requestTags = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v]));
  const volumeTags = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  const instanceTags = Object.fromEntries(Object.entries(clusterTag(config)).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DescribeVolumesAndInstances",
        Effect: "Allow",
        Action: [
          "ec2:DescribeAvailabilityZones",
          "ec2:DescribeInstances",
          "ec2:DescribeTags",
          "ec2:DescribeVolumes",
          "ec2:DescribeVolumesModifications",
          "ec2:DescribeVolumeStatus",
        ],
        Resource: "*",
      },
      {
        Sid: "CreateTaggedVolumes",
        Effect: "Allow",
        Action: ["ec2:CreateVolume"],
        Resource: arn("volume"),
        Condition: { StringEquals: requestTags },
      },
      {
        Sid: "TagVolumesOnlyWhenCreating",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: arn("volume"),
        Condition: { StringEquals: { "ec2:CreateAction": ["CreateVolume"] } },
      },
      {
        Sid: "ManageThisClustersVolumes",
        Effect: "Allow",
        Action: ["ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume", "ec2:DeleteVolume"],
        Resource: arn("volume"),
        Condition: { StringEquals: volumeTags },
      },
      {
        Sid: "AttachToThisClustersInstances",
        Effect: "Allow",
        Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
        Resource: arn("instance"),
        Condition: { StringEquals: instanceTags },
      },
    ],
  };
}

/**
 * The AWS CLI command that lists (and, with `delete`, deletes) volumes this
 * cluster's driver created that are not attached to anything: what is left
 * if a destroy could not delete them. Printed by the docs; run by hand.
 */
export function sweepVolumesCommand(config: Pick<Config, "name" | "region">, mode: "list" | "delete"): string {
  const filters = Object.entries(ebsVolumeTags(config))
    .map(([k, v]) => `Name=tag:${k},Values=${v}`)
    .concat("Name=status,Values=available")
    .join(" ");
  const list = `aws ec2 describe-volumes --region ${config.region} --filters ${filters} --query 'Volumes[].VolumeId' --output text`;
  if (mode === "list") return list;
  return `for v in $(${list}); do aws ec2 delete-volume --region ${config.region} --volume-id "$v" && echo "deleted $v"; done`;
}
