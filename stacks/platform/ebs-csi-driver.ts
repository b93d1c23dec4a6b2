/**
 * Persistent volumes: the AWS EBS CSI driver and the one StorageClass the
 * platform's volumes use (encrypted gp3, the cluster's default class).
 *
 * Where the driver gets what it needs on a kubeadm cluster without a cloud
 * controller (lib/storage.ts is the contract with the cluster stack):
 * - the controller (volume create/attach/resize/delete) runs on the workers
 *   and assumes an IAM role of its own by web identity, with a projected
 *   service-account token (ebs-csi-identity.ts); no access key exists. Its
 *   region comes from config, so it reads no instance metadata at all;
 * - the node plugin (format and mount, one per node) runs on the host network,
 *   so it reads its instance id and zone from IMDS like any host process with
 *   hop limit 1, and makes no AWS API call.
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
import { EbsCsiIdentity } from "./ebs-csi-identity";
import type { ClusterOutputs } from "../cluster/outputs";
import { WEB_IDENTITY_TOKEN, STS_AUDIENCE } from "../../lib/workload-identity";

/** The namespace the driver runs in (it exists on every cluster; the chart's own default). */
export const EBS_CSI_NAMESPACE = "kube-system";

/** The token file the AWS SDK in the controller reads (AWS_WEB_IDENTITY_TOKEN_FILE). */
export const WEB_IDENTITY_TOKEN_FILE = `${WEB_IDENTITY_TOKEN.mountPath}/${WEB_IDENTITY_TOKEN.fileName}`;

/**
 * The controller's environment for web identity, as Helm `set` values (the
 * role's ARN is known only at apply time; the list is built by `set` alone,
 * so no values-file list is merged with it). The chart puts controller.env
 * into the ebs-plugin container only, the one that calls AWS.
 */
export function webIdentityEnv(roleArn: string): Record<string, string> {
  const env: Array<[string, string]> = [
    ["AWS_ROLE_ARN", roleArn],
    ["AWS_WEB_IDENTITY_TOKEN_FILE", WEB_IDENTITY_TOKEN_FILE],
    ["AWS_ROLE_SESSION_NAME", "ebs-csi-controller"],
    ["AWS_STS_REGIONAL_ENDPOINTS", "regional"],
  ];
  return Object.fromEntries(env.flatMap(([name, value], i) => [[`controller.env[${i}].name`, name], [`controller.env[${i}].value`, value]]));
}
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
      // Two replicas on the workers (the chart spreads them by host): when a
      // worker dies, the other takes the leader lease within seconds and
      // attaches the moved pods' volumes, instead of waiting minutes for its
      // own eviction and restart. No node selector and no toleration of the
      // control plane's taint: nothing of the driver's credentials goes there.
      replicaCount: 2,
      // The projected token the controller assumes its role with: audience
      // STS, a day's lifetime (the kubelet rewrites the file before it expires).
      volumes: [
        {
          name: WEB_IDENTITY_TOKEN.volumeName,
          projected: {
            sources: [{ serviceAccountToken: { audience: STS_AUDIENCE, expirationSeconds: WEB_IDENTITY_TOKEN.expirationSeconds, path: WEB_IDENTITY_TOKEN.fileName } }],
          },
        },
      ],
      volumeMounts: [{ name: WEB_IDENTITY_TOKEN.volumeName, mountPath: WEB_IDENTITY_TOKEN.mountPath, readOnly: true }],
      // The chart's own tolerations, kept: ride out a short node outage.
      tolerations: [
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
  /** The cluster's service-account issuer, which the controller's role trusts. */
  readonly cluster: ClusterOutputs;
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;
  /** What must be in place first (every node Ready). */
  readonly dependsOn: ITerraformDependable[];
}

export class EbsCsiDriver extends Construct {
  readonly identity: EbsCsiIdentity;
  readonly release: ChartRelease;
  readonly storageClass: StorageClassV1;

  constructor(scope: Construct, id: string, props: EbsCsiDriverProps) {
    super(scope, id);
    const { config } = props;
    this.identity = new EbsCsiIdentity(this, "identity", { config, cluster: props.cluster, namespace: EBS_CSI_NAMESPACE });
    const { role, policy } = this.identity;
    this.release = new ChartRelease(this, "driver", {
      provider: props.helm,
      name: RELEASES.awsEbsCsiDriver,
      source: CHARTS.awsEbsCsiDriver,
      version: config.versions.awsEbsCsiDriverChart,
      namespace: EBS_CSI_NAMESPACE,
      values: ebsCsiDriverValues(config),
      applyTimeValues: webIdentityEnv(role.arn),
      timeoutSeconds: config.platform.helmTimeoutSeconds,
      // The role and its policy exist before the driver starts and are
      // removed only after it (a destroy removes the driver after the volume
      // wait, volume-cleanup.ts, so the controller can still delete volumes).
      dependsOn: [...props.dependsOn, role, policy],
    });
    this.storageClass = new StorageClassV1(this, "storage-class", {
      provider: props.kubernetes,
      ...storageClassSpec(),
      dependsOn: [this.release.release],
    });
  }
}
