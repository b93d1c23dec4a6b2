/**
 * Fixed design values of the cluster bootstrap, each with its reason. They
 * are not configuration: changing one changes how the bootstrap works.
 */
import type { Config } from "../../lib/config";
import { cidrHost } from "../../lib/config";
import { EBS_CSI_NODE_REQUIREMENTS } from "../../lib/storage";
import { kubernetesMinor } from "../../lib/versions";
import { resourceName } from "../../lib/naming";

/** Lifetime of every join token kubeadm creates (the first one and each refreshed one). */
export const JOIN_TOKEN_TTL_HOURS = 24;
/**
 * How often the control plane stores a fresh token in SSM. Half the lifetime:
 * a token a worker reads is valid for at least another 12 hours.
 */
export const JOIN_TOKEN_REFRESH_HOURS = 12;

/** Validity of the cluster CA (kubeadm's own default for its CA: 10 years). */
export const CA_VALIDITY_HOURS = 87600;
/**
 * Validity of the Terraform admin client certificate: 7 days. A cluster
 * deploy in its last 5 days (from its third day on) issues a new one, so a
 * superseded certificate stops working at most 7 days after it was issued.
 */
export const ADMIN_CERT_VALIDITY_HOURS = 168;
export const ADMIN_CERT_EARLY_RENEWAL_HOURS = 120;

/**
 * The IMDS hop limit of every node: the smallest, what the EBS CSI node
 * plugin needs (lib/storage.ts). Only host-network processes reach instance
 * metadata; no pod reaches a node role.
 */
export const IMDS_HOP_LIMIT = EBS_CSI_NODE_REQUIREMENTS.imdsHopLimit;

/** Root device of Canonical's Ubuntu AMIs (the launch template's block device mapping names it). */
export const UBUNTU_ROOT_DEVICE = "/dev/sda1";

/** Seconds an instance-refresh replacement gets to boot and join before the next one starts. */
export const WORKER_WARMUP_SECONDS = 420;

/** AWS's upper bound on a lifecycle hook's heartbeat timeout (2 hours). */
export const LIFECYCLE_HOOK_MAX_TIMEOUT_SECONDS = 7200;
/**
 * What a worker's launch hook allows beyond the bootstrap's join deadline:
 * the boot before cloud-init runs the script, and telling the group.
 */
export const WORKER_HOOK_MARGIN_SECONDS = 300;

/**
 * How long a worker's bootstrap tries to join (from its start): the deploy's
 * readiness timeout, shortened when needed so the launch hook outlasts it.
 */
export function workerJoinTimeoutSeconds(config: Config): number {
  return Math.min(config.cluster.readinessTimeoutMinutes * 60, LIFECYCLE_HOOK_MAX_TIMEOUT_SECONDS - WORKER_HOOK_MARGIN_SECONDS);
}

/** The launch hook's timeout: a worker that has not joined by then is abandoned (terminated and replaced). */
export function workerLaunchHookTimeoutSeconds(config: Config): number {
  return workerJoinTimeoutSeconds(config) + WORKER_HOOK_MARGIN_SECONDS;
}

/** The Auto Scaling group of the workers and the name of its launch hook. */
export function workerGroupNames(config: Pick<Config, "name">): { group: string; launchHook: string } {
  return { group: resourceName(config, "workers"), launchHook: resourceName(config, "worker-joined") };
}

/** The SSM parameters of one cluster, under `/<name>/cluster/`. */
export function parameterNames(config: Pick<Config, "name">): {
  caKey: string;
  caCert: string;
  joinToken: string;
  controlPlanePublicIp: string;
  etcdBackupLocation: string;
  adminCert: string;
  serviceAccountKey: string;
  serviceAccountIssuer: string;
  secretsEncryptionKey: string;
} {
  const prefix = `/${config.name}/cluster`;
  return {
    caKey: `${prefix}/ca-key`,
    caCert: `${prefix}/ca-cert`,
    joinToken: `${prefix}/join-token`,
    controlPlanePublicIp: `${prefix}/control-plane-public-ip`,
    etcdBackupLocation: `${prefix}/etcd-backup-location`,
    adminCert: `${prefix}/admin-cert`,
    serviceAccountKey: `${prefix}/service-account-key`,
    serviceAccountIssuer: `${prefix}/service-account-issuer`,
    secretsEncryptionKey: `${prefix}/secrets-encryption-key`,
  };
}

/**
 * Key prefix of this cluster's etcd snapshots, `<name>/etcd/`: the control
 * plane may write only below it, and the lifecycle rule acts only on it (an
 * existing bucket may hold other clusters' snapshots beside it).
 */
export function etcdBackupPrefix(config: Pick<Config, "name">): string {
  return `${config.name}/etcd/`;
}

/** Where etcd keeps its data on the control plane (kubeadm's default, mounted at the same path in the etcd pod). */
export const ETCD_DATA_DIR = "/var/lib/etcd";

/** Minutes between two runs of the dead-worker cleanup on the control plane. */
export const NODE_CLEANUP_INTERVAL_MINUTES = 5;

/** Minutes after the control plane boots before its first etcd snapshot (kubeadm init is done by then). */
export const ETCD_FIRST_BACKUP_MINUTES = 15;

/** The control plane's fixed private address: host `controlPlaneHostNumber` of the first subnet. */
export function controlPlanePrivateIp(config: Config): string {
  const first = config.network.publicSubnetCidrs[0];
  if (first === undefined) throw new Error("network.publicSubnetCidrs is empty");
  return cidrHost(first, config.cluster.controlPlaneHostNumber);
}

/** The minor's number (`1.28.15` → 28). */
export function minorNumber(version: string): number {
  return Number(kubernetesMinor(version).split(".")[1]);
}

/**
 * The identity in the Terraform admin certificate: a group of the project's
 * own (never `system:masters`, which no RBAC change can take away, nor
 * kubeadm's `kubeadm:cluster-admins`), bound to cluster-admin by a
 * ClusterRoleBinding of the same name that the control plane creates right
 * after `kubeadm init`. Deleting that binding revokes every certificate
 * issued to the group at once; the next generation is a new group.
 */
export function terraformAdminIdentity(config: Pick<Config, "name" | "access">): { group: string; commonName: string; binding: string } {
  const group = `${config.name}:terraform-admins:${config.access.adminIdentityGeneration}`;
  return { group, commonName: `${config.name}-terraform-admin`, binding: group };
}

/** pkgs.k8s.io's package version: `1.28.15` + revision `1.1` → `1.28.15-1.1`. */
export function kubernetesPackageVersion(version: string, revision: string): string {
  return `${version}-${revision}`;
}
