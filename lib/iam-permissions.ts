/**
 * The AWS permissions the deploying identity needs, per Terraform resource
 * and data-source type the stacks use: what the AWS provider calls to create,
 * read, update, tag and delete each one. Terraform cannot tell this offline,
 * so each entry cites the AWS page that defines its actions (the Service
 * Authorization Reference of the service). docs/iam-permissions.md and the
 * policy document in it are generated from this table, and a test holds it
 * to every type the synthesized stacks contain.
 */

const SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference";
export const AWS_DOCS = {
  ec2: `${SAR}/list_amazonec2.html`,
  autoscaling: `${SAR}/list_amazonec2autoscaling.html`,
  iam: `${SAR}/list_awsidentityandaccessmanagementiam.html`,
  kms: `${SAR}/list_awskeymanagementservice.html`,
  ssm: `${SAR}/list_awssystemsmanager.html`,
  s3: `${SAR}/list_amazons3.html`,
  logs: `${SAR}/list_amazoncloudwatchlogs.html`,
  servicequotas: `${SAR}/list_servicequotas.html`,
  sts: "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html",
} as const;

export interface Permission {
  /** IAM actions, `service:Action`. Empty: the type calls no AWS API that needs a permission. */
  readonly actions: readonly string[];
  /** The AWS page that defines these actions. */
  readonly doc: string;
  readonly note?: string;
}

const ec2 = (...a: string[]): Permission => ({ actions: a.map((x) => `ec2:${x}`), doc: AWS_DOCS.ec2 });
const tagsEc2 = ["CreateTags", "DeleteTags"];

/** Resource types (`resource` blocks). */
export const RESOURCE_PERMISSIONS: Readonly<Record<string, Permission>> = {
  aws_vpc: ec2("CreateVpc", "DescribeVpcs", "DescribeVpcAttribute", "ModifyVpcAttribute", "DeleteVpc", "DescribeNetworkAcls", "DescribeRouteTables", "DescribeSecurityGroups", ...tagsEc2),
  aws_subnet: ec2("CreateSubnet", "DescribeSubnets", "ModifySubnetAttribute", "DeleteSubnet", "DescribeNetworkInterfaces", ...tagsEc2),
  aws_internet_gateway: ec2("CreateInternetGateway", "AttachInternetGateway", "DescribeInternetGateways", "DetachInternetGateway", "DeleteInternetGateway", ...tagsEc2),
  aws_route_table: ec2("CreateRouteTable", "DescribeRouteTables", "DeleteRouteTable", ...tagsEc2),
  aws_route: ec2("CreateRoute", "ReplaceRoute", "DescribeRouteTables", "DeleteRoute"),
  aws_route_table_association: ec2("AssociateRouteTable", "ReplaceRouteTableAssociation", "DescribeRouteTables", "DisassociateRouteTable"),
  aws_default_security_group: ec2("DescribeSecurityGroups", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", ...tagsEc2),
  aws_security_group: ec2("CreateSecurityGroup", "DescribeSecurityGroups", "RevokeSecurityGroupEgress", "DeleteSecurityGroup", "DescribeNetworkInterfaces", ...tagsEc2),
  aws_vpc_security_group_ingress_rule: ec2("AuthorizeSecurityGroupIngress", "DescribeSecurityGroupRules", "ModifySecurityGroupRules", "RevokeSecurityGroupIngress", ...tagsEc2),
  aws_vpc_security_group_egress_rule: ec2("AuthorizeSecurityGroupEgress", "DescribeSecurityGroupRules", "ModifySecurityGroupRules", "RevokeSecurityGroupEgress", ...tagsEc2),
  aws_eip: ec2("AllocateAddress", "DescribeAddresses", "DescribeAddressesAttribute", "AssociateAddress", "DisassociateAddress", "ReleaseAddress", ...tagsEc2),
  aws_network_interface: ec2("CreateNetworkInterface", "DescribeNetworkInterfaces", "ModifyNetworkInterfaceAttribute", "DetachNetworkInterface", "DeleteNetworkInterface", ...tagsEc2),
  aws_instance: {
    actions: [
      ...["RunInstances", "DescribeInstances", "DescribeInstanceAttribute", "DescribeInstanceTypes", "DescribeInstanceCreditSpecifications", "DescribeVolumes", "DescribeTags", "ModifyInstanceAttribute", "ModifyInstanceMetadataOptions", "StopInstances", "StartInstances", "TerminateInstances", ...tagsEc2].map((x) => `ec2:${x}`),
      "iam:PassRole",
    ],
    doc: AWS_DOCS.ec2,
    note: "iam:PassRole for the control plane's instance profile role (IAM reference)",
  },
  aws_launch_template: ec2("CreateLaunchTemplate", "CreateLaunchTemplateVersion", "DescribeLaunchTemplates", "DescribeLaunchTemplateVersions", "ModifyLaunchTemplate", "DeleteLaunchTemplate", ...tagsEc2),
  aws_flow_log: {
    actions: ["ec2:CreateFlowLogs", "ec2:DescribeFlowLogs", "ec2:DeleteFlowLogs", "ec2:CreateTags", "ec2:DeleteTags", "iam:PassRole"],
    doc: AWS_DOCS.ec2,
    note: "iam:PassRole for the flow-log delivery role",
  },
  aws_autoscaling_group: {
    actions: [
      ...["CreateAutoScalingGroup", "UpdateAutoScalingGroup", "DeleteAutoScalingGroup", "DescribeAutoScalingGroups", "DescribeScalingActivities", "PutLifecycleHook", "DescribeLifecycleHooks", "DeleteLifecycleHook", "StartInstanceRefresh", "DescribeInstanceRefreshes", "CancelInstanceRefresh", "CreateOrUpdateTags", "DeleteTags"].map((x) => `autoscaling:${x}`),
      "ec2:RunInstances",
      "ec2:CreateTags",
      "ec2:DescribeLaunchTemplateVersions",
      "iam:PassRole",
      "iam:CreateServiceLinkedRole",
    ],
    doc: AWS_DOCS.autoscaling,
    note: "launching from the template needs ec2:RunInstances and iam:PassRole; the first group in an account creates AWSServiceRoleForAutoScaling",
  },
  aws_iam_role: {
    actions: ["CreateRole", "GetRole", "UpdateRole", "UpdateAssumeRolePolicy", "ListRolePolicies", "ListAttachedRolePolicies", "ListInstanceProfilesForRole", "TagRole", "UntagRole", "DeleteRole"].map((x) => `iam:${x}`),
    doc: AWS_DOCS.iam,
  },
  aws_iam_role_policy: { actions: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"], doc: AWS_DOCS.iam },
  aws_iam_role_policy_attachment: { actions: ["iam:AttachRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy"], doc: AWS_DOCS.iam },
  aws_iam_instance_profile: {
    actions: ["CreateInstanceProfile", "GetInstanceProfile", "AddRoleToInstanceProfile", "RemoveRoleFromInstanceProfile", "TagInstanceProfile", "UntagInstanceProfile", "DeleteInstanceProfile"].map((x) => `iam:${x}`),
    doc: AWS_DOCS.iam,
  },
  aws_iam_openid_connect_provider: {
    actions: [
      "CreateOpenIDConnectProvider",
      "GetOpenIDConnectProvider",
      "UpdateOpenIDConnectProviderThumbprint",
      "AddClientIDToOpenIDConnectProvider",
      "RemoveClientIDFromOpenIDConnectProvider",
      "TagOpenIDConnectProvider",
      "UntagOpenIDConnectProvider",
      "DeleteOpenIDConnectProvider",
    ].map((x) => `iam:${x}`),
    doc: AWS_DOCS.iam,
  },
  aws_kms_key: {
    actions: ["CreateKey", "DescribeKey", "GetKeyPolicy", "PutKeyPolicy", "GetKeyRotationStatus", "EnableKeyRotation", "ListResourceTags", "TagResource", "UntagResource", "ScheduleKeyDeletion"].map((x) => `kms:${x}`),
    doc: AWS_DOCS.kms,
    note: "later calls on the key are also subject to its key policy, which this project writes",
  },
  aws_kms_alias: { actions: ["kms:CreateAlias", "kms:ListAliases", "kms:UpdateAlias", "kms:DeleteAlias"], doc: AWS_DOCS.kms },
  aws_ssm_parameter: {
    actions: ["ssm:PutParameter", "ssm:GetParameter", "ssm:GetParameters", "ssm:DescribeParameters", "ssm:AddTagsToResource", "ssm:ListTagsForResource", "ssm:RemoveTagsFromResource", "ssm:DeleteParameter", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
    doc: AWS_DOCS.ssm,
    note: "SecureString parameters under the cluster's KMS key need kms:Encrypt/Decrypt (KMS reference)",
  },
  aws_s3_bucket: {
    actions: [
      "CreateBucket", "ListBucket", "ListBucketVersions", "GetBucketAcl", "GetBucketCORS", "GetBucketWebsite", "GetBucketVersioning", "GetAccelerateConfiguration",
      "GetBucketRequestPayment", "GetBucketLogging", "GetLifecycleConfiguration", "GetReplicationConfiguration", "GetEncryptionConfiguration",
      "GetBucketObjectLockConfiguration", "GetBucketTagging", "GetBucketPolicy", "PutBucketTagging", "DeleteObject", "DeleteObjectVersion", "DeleteBucket",
    ].map((x) => `s3:${x}`),
    doc: AWS_DOCS.s3,
    note: "the provider reads every bucket sub-configuration on refresh; force_destroy empties the snapshot bucket",
  },
  aws_s3_bucket_versioning: { actions: ["s3:PutBucketVersioning", "s3:GetBucketVersioning"], doc: AWS_DOCS.s3 },
  aws_s3_bucket_lifecycle_configuration: { actions: ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"], doc: AWS_DOCS.s3 },
  aws_s3_bucket_ownership_controls: { actions: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"], doc: AWS_DOCS.s3 },
  aws_s3_bucket_policy: { actions: ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"], doc: AWS_DOCS.s3 },
  aws_s3_bucket_public_access_block: { actions: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"], doc: AWS_DOCS.s3 },
  aws_s3_bucket_server_side_encryption_configuration: { actions: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"], doc: AWS_DOCS.s3 },
  aws_cloudwatch_log_group: {
    actions: ["logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:DeleteLogGroup"],
    doc: AWS_DOCS.logs,
  },
};

/** Data-source types (`data` blocks). */
export const DATA_PERMISSIONS: Readonly<Record<string, Permission>> = {
  aws_ami: ec2("DescribeImages"),
  aws_availability_zones: ec2("DescribeAvailabilityZones"),
  aws_ec2_instance_type: ec2("DescribeInstanceTypes"),
  aws_ec2_instance_type_offerings: ec2("DescribeInstanceTypeOfferings"),
  aws_instances: ec2("DescribeInstances"),
  aws_ssm_parameters_by_path: { actions: ["ssm:GetParametersByPath", "kms:Decrypt"], doc: AWS_DOCS.ssm },
  aws_servicequotas_service_quota: { actions: ["servicequotas:GetServiceQuota"], doc: AWS_DOCS.servicequotas, note: "only with cluster.checkVcpuQuota (the default)" },
  aws_caller_identity: { actions: [], doc: AWS_DOCS.sts, note: "sts:GetCallerIdentity needs no permission" },
  aws_partition: { actions: [], doc: AWS_DOCS.sts, note: "computed by the provider from the region; no API call" },
};

/** The S3 state backend (`backend.type: s3`): on the state bucket only. */
export const S3_BACKEND_PERMISSION: Permission = {
  actions: ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
  doc: AWS_DOCS.s3,
  note: "on the state bucket and its <prefix>/* keys; DeleteObject removes the lock file",
};

/** Providers that call no AWS API: their types need no AWS permission. */
export const NON_AWS_PREFIXES = ["helm_", "kubernetes_", "random_", "tls_", "time_", "terraform_"] as const;
export const NON_AWS_TYPES = ["http", "terraform_remote_state"] as const;

export function isAwsType(type: string): boolean {
  return type.startsWith("aws_");
}

/** Every action the deploying identity needs, sorted and without repeats. */
export function allActions(): string[] {
  const all = [...Object.values(RESOURCE_PERMISSIONS), ...Object.values(DATA_PERMISSIONS)].flatMap((p) => p.actions);
  return [...new Set(all)].sort();
}

/** An identity policy granting every action (Resource "*"; narrow it per resource where your organisation requires). */
export function deployerPolicy(): { Version: string; Statement: Array<{ Sid: string; Effect: "Allow"; Action: string[]; Resource: string }> } {
  const services = [...new Set(allActions().map((a) => a.split(":")[0] as string))];
  return {
    Version: "2012-10-17",
    Statement: services.map((svc) => ({
      Sid: `Deploy${svc.replace(/(^|[^a-z])([a-z])/g, (_m, _p, c: string) => c.toUpperCase())}`,
      Effect: "Allow" as const,
      Action: allActions().filter((a) => a.startsWith(`${svc}:`)),
      Resource: "*",
    })),
  };
}
