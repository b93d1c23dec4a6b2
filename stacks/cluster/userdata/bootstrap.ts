/**
 * The user-data of each node role and the helper scripts they install,
 * rendered from the templates in this folder. No secret is ever a value
 * here: the CA key and the join token are read from SSM on the node.
 */
import type { Config } from "../../../lib/config";
import { PORTS } from "../../../lib/ports";
import { IMAGES, KUBERNETES, kubernetesMinor } from "../../../lib/versions";
import { kubeadmInitConfig, kubeadmJoinConfig } from "../kubeadm-config";
import { clusterKeyAlias } from "../cluster-key";
import { ENCRYPTION_CONFIG_DIR, ENCRYPTION_CONFIG_FILE, encryptionConfiguration } from "../secrets-encryption";
import {
  controlPlanePrivateIp,
  ETCD_DATA_DIR,
  ETCD_FIRST_BACKUP_MINUTES,
  JOIN_TOKEN_REFRESH_HOURS,
  JOIN_TOKEN_TTL_HOURS,
  kubernetesPackageVersion,
  NODE_CLEANUP_INTERVAL_MINUTES,
  parameterNames,
  terraformAdminIdentity,
  workerGroupNames,
  workerJoinTimeoutSeconds,
} from "../settings";
import { gzipSync } from "node:zlib";
import { OIDC_DOCUMENT_KEYS } from "../../../lib/workload-identity";
import { LINKERD_OBJECTS, NAMESPACES } from "../../../lib/k8s-names";
import { ETCD_BACKUP_METRICS, ETCD_BACKUP_TEXTFILE, ETCD_SNAPSHOT_OBJECT } from "../../../lib/backups";
import { CERT_CHECK_INTERVAL_MINUTES, CERT_RENEW_BEFORE_DAYS, NODE_EXPORTER_TEXTFILE, STATIC_POD_PAUSE_SECONDS } from "../../../lib/certificates";
import { renderScript, type ScriptValue } from "./render";

/** Where the snap puts the AWS CLI (cloud-init's PATH may lack /snap/bin). */
export const AWS_CLI_PATH = "/snap/bin/aws";

/**
 * The control plane's user-data as the instance takes it: gzip, then base64
 * (cloud-init recognises and unpacks gzip). Compressed, it stays well inside
 * EC2's 16 KB limit with the timers' helper scripts embedded.
 */
export function controlPlaneUserDataBase64(config: Config): string {
  return gzipSync(Buffer.from(controlPlaneUserData(config), "utf8"), { level: 9 }).toString("base64");
}

const COMMON_TEMPLATES = ["functions.sh", "failure-report.sh", "node-setup.sh"] as const;

function commonValues(config: Config, role: "control-plane" | "worker"): Record<string, ScriptValue> {
  const version = config.cluster.kubernetesVersion;
  const params = parameterNames(config);
  return {
    CLUSTER_NAME: config.name,
    NODE_ROLE: role,
    AWS_REGION: config.region,
    AWS_CLI: AWS_CLI_PATH,
    KUBERNETES_VERSION: version,
    KUBERNETES_MINOR: kubernetesMinor(version),
    KUBERNETES_PACKAGE_VERSION: kubernetesPackageVersion(version, KUBERNETES.packageRevision),
    SANDBOX_IMAGE: IMAGES.pause,
    SSM_CA_CERT: params.caCert,
    SSM_JOIN_TOKEN: params.joinToken,
    CONTROL_PLANE_PRIVATE_IP: controlPlanePrivateIp(config),
    API_SERVER_PORT: PORTS.kubeApiServer.port,
  };
}

/** The control plane's helper that stores a fresh join token in SSM (run by a systemd timer). */
export function refreshJoinTokenScript(config: Config): string {
  return renderScript({
    description: "Stores a fresh Kubernetes join token in SSM (k8s-refresh-join-token.timer).",
    values: {
      AWS_REGION: config.region,
      AWS_CLI: AWS_CLI_PATH,
      SSM_JOIN_TOKEN: parameterNames(config).joinToken,
      SSM_JOIN_TOKEN_KEY: clusterKeyAlias(config),
      JOIN_TOKEN_TTL_HOURS,
    },
    templates: ["refresh-join-token.sh"],
  });
}

/**
 * The control plane's etcd snapshot helper (run by k8s-etcd-backup.timer).
 * `awsCli` and `etcdDataDir` differ from the node's only when a test runs it.
 */
export function etcdBackupScript(config: Config, awsCli = AWS_CLI_PATH, etcdDataDir = ETCD_DATA_DIR, textfileDir: string = NODE_EXPORTER_TEXTFILE.hostDir): string {
  return renderScript({
    description: "Snapshots etcd, uploads the snapshot to S3 and records the time for node-exporter (k8s-etcd-backup.timer).",
    values: {
      AWS_REGION: config.region,
      AWS_CLI: awsCli,
      SSM_ETCD_BACKUP_LOCATION: parameterNames(config).etcdBackupLocation,
      ETCD_BACKUP_KMS_KEY: clusterKeyAlias(config),
      ETCD_DATA_DIR: etcdDataDir,
      ETCD_CLIENT_PORT: PORTS.etcd.port,
      SNAPSHOT_OBJECT: ETCD_SNAPSHOT_OBJECT,
      TEXTFILE_DIR: textfileDir,
      TEXTFILE_NAME: ETCD_BACKUP_TEXTFILE,
      METRIC_LAST_SUCCESS: ETCD_BACKUP_METRICS.lastSuccess,
      METRIC_LAST_SIZE: ETCD_BACKUP_METRICS.lastSize,
    },
    templates: ["etcd-backup.sh"],
  });
}

/**
 * The control plane's dead-worker cleanup (run by k8s-node-cleanup.timer).
 * `awsCli` differs from the node's only when a test runs it.
 */
export function nodeCleanupScript(config: Config, awsCli = AWS_CLI_PATH): string {
  return renderScript({
    description: "Deletes the Node objects of workers whose EC2 instance is gone (k8s-node-cleanup.timer).",
    values: {
      AWS_REGION: config.region,
      AWS_CLI: awsCli,
      NOT_READY_MINUTES: config.cluster.deadNodeCleanup.notReadyMinutes,
    },
    templates: ["node-cleanup.sh"],
  });
}

/** Where the certificate renewal reads and writes; a test points them at a scratch folder. */
export interface CertRenewalPaths {
  readonly awsCli: string;
  readonly kubernetesDir: string;
  readonly textfileDir: string;
  readonly staticPodPauseSeconds: number;
}

/** The control plane's certificate renewal and expiry export (run by k8s-cert-renewal.timer). */
export function certRenewalScript(config: Config, paths: Partial<CertRenewalPaths> = {}): string {
  return renderScript({
    description: "Renews kubeadm's certificates before expiry and exports every certificate's expiry (k8s-cert-renewal.timer).",
    values: {
      AWS_REGION: config.region,
      AWS_CLI: paths.awsCli ?? AWS_CLI_PATH,
      SSM_ADMIN_CERT: parameterNames(config).adminCert,
      KUBERNETES_DIR: paths.kubernetesDir ?? "/etc/kubernetes",
      TEXTFILE_DIR: paths.textfileDir ?? NODE_EXPORTER_TEXTFILE.hostDir,
      TEXTFILE_NAME: NODE_EXPORTER_TEXTFILE.fileName,
      RENEW_BEFORE_DAYS: CERT_RENEW_BEFORE_DAYS,
      STATIC_POD_PAUSE_SECONDS: paths.staticPodPauseSeconds ?? STATIC_POD_PAUSE_SECONDS,
      LINKERD_NAMESPACE: NAMESPACES.linkerd,
      LINKERD_TRUST_ROOTS_CONFIGMAP: LINKERD_OBJECTS.trustRootsConfigMap,
      LINKERD_ISSUER_SECRET: LINKERD_OBJECTS.issuerSecret,
    },
    templates: ["cert-renewal.sh"],
  });
}

/**
 * The control plane's user-data. It holds no apply-time value (the Elastic IP
 * is read from SSM on the node), so the instance receives it gzip-compressed
 * (`controlPlaneUserDataBase64`), which cloud-init unpacks.
 */
export function controlPlaneUserData(config: Config): string {
  const { etcdBackup, deadNodeCleanup } = config.cluster;
  return renderScript({
    description: `Bootstrap of the control plane of Kubernetes cluster ${config.name}.`,
    values: {
      ...commonValues(config, "control-plane"),
      SSM_CA_KEY: parameterNames(config).caKey,
      SSM_SECRETS_ENCRYPTION_KEY: parameterNames(config).secretsEncryptionKey,
      ENCRYPTION_CONFIG_DIR,
      ENCRYPTION_CONFIG_FILE,
      SSM_CONTROL_PLANE_PUBLIC_IP: parameterNames(config).controlPlanePublicIp,
      JOIN_TOKEN_REFRESH_HOURS,
      SSM_SERVICE_ACCOUNT_KEY: parameterNames(config).serviceAccountKey,
      SSM_SERVICE_ACCOUNT_ISSUER: parameterNames(config).serviceAccountIssuer,
      OIDC_DISCOVERY_KEY: OIDC_DOCUMENT_KEYS.discovery,
      OIDC_JWKS_KEY: OIDC_DOCUMENT_KEYS.jwks,
      ADMIN_GROUP: terraformAdminIdentity(config).group,
      ADMIN_BINDING: terraformAdminIdentity(config).binding,
      CERT_RENEW_BEFORE_DAYS,
      CERT_CHECK_INTERVAL_MINUTES,
      // The dead-worker cleanup reads JSON with jq: installed in the node's one apt transaction.
      EXTRA_APT_PACKAGES: deadNodeCleanup.enabled ? "jq" : "",
      ...(etcdBackup.enabled ? { ETCD_BACKUP_INTERVAL_MINUTES: etcdBackup.intervalMinutes, ETCD_FIRST_BACKUP_MINUTES } : {}),
      ...(deadNodeCleanup.enabled ? { NODE_CLEANUP_INTERVAL_MINUTES } : {}),
    },
    templates: [
      ...COMMON_TEMPLATES,
      "timer-functions.sh",
      "control-plane.sh",
      "cert-renewal-setup.sh",
      ...(etcdBackup.enabled ? ["etcd-backup-setup.sh"] : []),
      ...(deadNodeCleanup.enabled ? ["node-cleanup-setup.sh"] : []),
    ],
    blocks: {
      KUBEADM_INIT_CONFIG: kubeadmInitConfig(config),
      ENCRYPTION_CONFIG: encryptionConfiguration(),
      REFRESH_JOIN_TOKEN_SCRIPT: refreshJoinTokenScript(config),
      CERT_RENEWAL_SCRIPT: certRenewalScript(config),
      ...(etcdBackup.enabled ? { ETCD_BACKUP_SCRIPT: etcdBackupScript(config) } : {}),
      ...(deadNodeCleanup.enabled ? { NODE_CLEANUP_SCRIPT: nodeCleanupScript(config) } : {}),
    },
  });
}

function workerValues(config: Config): Record<string, ScriptValue> {
  const names = workerGroupNames(config);
  return {
    EXTRA_APT_PACKAGES: "",
    JOIN_TIMEOUT_SECONDS: workerJoinTimeoutSeconds(config),
    WORKER_GROUP_NAME: names.group,
    WORKER_LAUNCH_HOOK: names.launchHook,
  };
}

/** A worker's user-data: the same for every worker, with no apply-time value. */
export function workerUserData(config: Config): string {
  return renderScript({
    description: `Bootstrap of a worker of Kubernetes cluster ${config.name}.`,
    values: { ...commonValues(config, "worker"), ...workerValues(config) },
    templates: [...COMMON_TEMPLATES, "worker.sh"],
    blocks: { KUBEADM_JOIN_CONFIG: kubeadmJoinConfig(config) },
  });
}
