/**
 * etcd backups: the contract between the control plane's backup timer
 * (stacks/cluster/userdata/etcd-backup.sh), the bucket's lifecycle rule
 * (stacks/cluster/etcd-backup.ts), node-exporter's textfile collector (the
 * same folder the certificate export uses, lib/certificates.ts) and the
 * alerts (lib/alerting/backups.ts).
 *
 * Every snapshot is uploaded to one object key. The bucket is versioned, so
 * each upload adds a version and turns the previous one noncurrent; S3's
 * noncurrent-version rule counts versions per key (`NewerNoncurrentVersions`),
 * so "keep the newest N snapshots" is exactly "keep the current version and
 * the N - 1 newest noncurrent ones", whatever their age. The node only ever
 * adds a version (PutObject); it cannot delete one.
 */

/** The object every snapshot is written to, under the cluster's `<name>/etcd/` prefix. */
export const ETCD_SNAPSHOT_OBJECT = "etcd-snapshot.db";

/** S3 keeps at most this many newer noncurrent versions per rule (NewerNoncurrentVersions, 1–100). */
export const S3_MAX_NEWER_NONCURRENT_VERSIONS = 100;

/** The gauges the backup helper writes after each successful upload. */
export const ETCD_BACKUP_METRICS = {
  /** Unix seconds of the last snapshot that was checked and uploaded. */
  lastSuccess: "k8s_mesh_etcd_backup_last_success_timestamp_seconds",
  /** Its size in bytes. */
  lastSize: "k8s_mesh_etcd_backup_last_size_bytes",
} as const;

/** The file the helper writes in node-exporter's textfile folder. */
export const ETCD_BACKUP_TEXTFILE = "k8s-etcd-backup.prom";

/** The snapshot is older than this many backup intervals: a ticket. */
export const BACKUP_TICKET_INTERVALS = 3;
/** ... older than this: a page (a day of changes would be lost). */
export const BACKUP_PAGE_SECONDS = 86400;
