
# --- etcd snapshots to S3 on a schedule (location read from SSM at each run) ---
cat >/usr/local/sbin/k8s-etcd-backup <<'HELPER'
@@ETCD_BACKUP_SCRIPT@@
HELPER
chmod 0755 /usr/local/sbin/k8s-etcd-backup
install_timer k8s-etcd-backup "Snapshot etcd and upload the snapshot to S3" \
  "Snapshot etcd every ${ETCD_BACKUP_INTERVAL_MINUTES} minutes" "${ETCD_FIRST_BACKUP_MINUTES}min" "${ETCD_BACKUP_INTERVAL_MINUTES}min" 1min \
  $'Nice=10\nIOSchedulingClass=idle'
log "etcd snapshots every ${ETCD_BACKUP_INTERVAL_MINUTES} minutes (k8s-etcd-backup.timer)"
