/**
 * Persistent volumes: the AWS EBS CSI driver and the one StorageClass the
 * platform's volumes use (encrypted gp3, the cluster's default class).
 *
 * Where the driver gets what it needs on a kubeadm cluster without a cloud
 * controller (the cluster stack provides it; lib/storage.ts is the contract):
 * - the controller (volume create/attach/resize/delete) runs on the control
 *   plane only and takes its AWS credentials from that node's instance role
 *   through IMDSv2, which the control plane answers to pods (hop limit 2);
 *   its region comes from config, so it reads no other instance metadata;
 * - the node plugin (format and mount, one per node) runs on the host network,
 *   so it reads its instance id and zone from IMDS like any host process,
 *   and needs no AWS credentials; the workers keep hop limit 1.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import type { Config } from "../../lib/config";
import { CHARTS } from "../../lib/versions";
import { RELEASES } from "../../lib/k8s-names";
import { EBS_CSI_PROVISIONER, extraVolumeTags, STORAGE_CLASS } from "../../lib/storage";
import { ChartRelease } from "./helm-release";

/** The namespace the driver runs in (it exists on every cluster; the chart's own default). */
export const EBS_CSI_NAMESPACE = "kube-system";

/** kubeadm's label and taint of the control-plane node. */
const CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane";

/** The annotation that makes a StorageClass the default for claims that name none. */
export const DEFAULT_STORAGE_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

/** aws-ebs-csi-driver chart values for this cluster. */
export function ebsCsiDriverValues(config: Config) {
  return {
    controller: {
      // Tags every volume with kubernetes.io/cluster/<name>=owned (the IAM
      // policy and the sweep rely on it) and with the project's own tags.
      k8sTagClusterId: config.name,
      extraVolumeTags: extraVolumeTags(config),
      region: config.region,
      // One control plane: a second replica would wait on the same node for the leader lease.
      replicaCount: 1,
      nodeSelector: { [CONTROL_PLANE_ROLE]: "" },
      tolerations: [
        { key: CONTROL_PLANE_ROLE, operator: "Exists", effect: "NoSchedule" },
        // The chart's own tolerations, kept: ride out a short node outage.
        { key: "CriticalAddonsOnly", operator: "Exists" },
        { effect: "NoExecute", operator: "Exists", tolerationSeconds: 300 },
      ],
    },
    node: {
      hostNetwork: true,
      metadataSources: "imds",
      // Linux nodes only: no empty Windows DaemonSet.
      enableWindows: false,
    },
    // No snapshot CRDs on this cluster and no in-cluster test pod.
    helmTester: { enabled: false },
  };
}

/** The StorageClass as the Kubernetes provider takes it. */
export function storageClassSpec() {
  return {
    metadata: {
      name: STORAGE_CLASS.name,
      annotations: { [DEFAULT_STORAGE_CLASS_ANNOTATION]: "true" },
    },
    storageProvisioner: EBS_CSI_PROVISIONER,
    // A volume is created in the zone of the node its first pod is scheduled to.
    volumeBindingMode: "WaitForFirstConsumer",
    // Deleting a claim deletes its EBS volume: nothing outlives the cluster.
    reclaimPolicy: "Delete",
    allowVolumeExpansion: true,
    parameters: {
      type: STORAGE_CLASS.volumeType,
      encrypted: "true",
      "csi.storage.k8s.io/fstype": STORAGE_CLASS.fsType,
    },
  };
}

export interface EbsCsiDriverProps {
  readonly config: Config;
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;
  /** What must be in place first (every node Ready). */
  readonly dependsOn: ITerraformDependable[];
}

export class EbsCsiDriver extends Construct {
  readonly release: ChartRelease;
  readonly storageClass: StorageClassV1;

  constructor(scope: Construct, id: string, props: EbsCsiDriverProps) {
    super(scope, id);
    const { config } = props;
    this.release = new ChartRelease(this, "driver", {
      provider: props.helm,
      name: RELEASES.awsEbsCsiDriver,
      source: CHARTS.awsEbsCsiDriver,
      version: config.versions.awsEbsCsiDriverChart,
      namespace: EBS_CSI_NAMESPACE,
      values: ebsCsiDriverValues(config),
      timeoutSeconds: config.platform.helmTimeoutSeconds,
      dependsOn: props.dependsOn,
    });
    this.storageClass = new StorageClassV1(this, "storage-class", {
      provider: props.kubernetes,
      ...storageClassSpec(),
      dependsOn: [this.release.release],
    });
  }
}
