/** Settings the control plane and the workers share, in the shapes each resource takes. */
import { EBS_CSI_NODE_REQUIREMENTS } from "../../lib/storage";
import { IMDS_HOP_LIMIT } from "./settings";

/** IMDSv2 only (CKV_AWS_79 / AVD-AWS-0028), with the given PUT response hop limit. */
export function metadataOptions(hopLimit: number) {
  return {
    httpEndpoint: "enabled",
    httpTokens: "required",
    httpPutResponseHopLimit: hopLimit,
    instanceMetadataTags: "disabled",
  } as const;
}

/** Workers: instance metadata from the host alone (hop limit 1); no pod reaches the worker role. */
export const WORKER_METADATA_OPTIONS = metadataOptions(IMDS_HOP_LIMIT);

/**
 * The control plane: hop limit 2, because the EBS CSI controller runs there
 * in a pod network namespace and takes the node role's credentials from
 * IMDS (lib/storage.ts). Any pod scheduled on the control plane can then use
 * the control-plane role (docs/cluster.md, "IMDS hop limit").
 */
export const CONTROL_PLANE_METADATA_OPTIONS = metadataOptions(EBS_CSI_NODE_REQUIREMENTS.controllerNodeImdsHopLimit);

/** Root volumes: gp3, encrypted (CKV_AWS_8 / AVD-AWS-0131), gone with the instance. */
export const ROOT_VOLUME = { volumeType: "gp3", encrypted: true, deleteOnTermination: true } as const;
