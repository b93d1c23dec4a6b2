/** Settings the control plane and the workers share, in the shapes each resource takes. */
import { IMDS_HOP_LIMIT } from "./settings";

/** IMDSv2 only (CKV_AWS_79 / AVD-AWS-0028), reachable from the host alone (hop limit 1). */
export const METADATA_OPTIONS = {
  httpEndpoint: "enabled",
  httpTokens: "required",
  httpPutResponseHopLimit: IMDS_HOP_LIMIT,
  instanceMetadataTags: "disabled",
} as const;

/** Root volumes: gp3, encrypted (CKV_AWS_8 / AVD-AWS-0131), gone with the instance. */
export const ROOT_VOLUME = { volumeType: "gp3", encrypted: true, deleteOnTermination: true } as const;
