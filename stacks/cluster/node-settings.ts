/** Settings the control plane and the workers share, in the shapes each resource takes. */
import { EBS_CSI_NODE_REQUIREMENTS } from "../../lib/storage";
import { IMDS_HOP_LIMIT } from "./settings";

/**
 * Instance metadata on every node, control plane and workers alike: IMDSv2
 * only (CKV_AWS_79 / AVD-AWS-0028) with hop limit 1, so only processes on the
 * host network (the bootstrap, the AWS CLI, the SSM agent, the EBS CSI node
 * plugin) reach it and no pod can take the node role's credentials. The EBS
 * CSI controller assumes a role of its own by web identity (the platform stack).
 * Changing these options updates an instance in place.
 */
export const NODE_METADATA_OPTIONS = {
  httpEndpoint: "enabled",
  httpTokens: EBS_CSI_NODE_REQUIREMENTS.httpTokens,
  httpPutResponseHopLimit: IMDS_HOP_LIMIT,
  instanceMetadataTags: "disabled",
} as const;

/** Root volumes: gp3, encrypted (CKV_AWS_8 / AVD-AWS-0131), gone with the instance. */
export const ROOT_VOLUME = { volumeType: "gp3", encrypted: true, deleteOnTermination: true } as const;
