
# --- etcd snapshots to S3 on a schedule (location read from SSM at each run) ---
cat >/usr/local/sbin/k8s-etcd-backup <<'HELPER'
@@ETCD_BACKUP_SCRIPT@@
HELPER
chmod 0755 /usr/local/sbin/k8s-etcd-backup
cat >/etc/systemd/system/k8s-etcd-backup.service <<'UNIT'
[Unit]
Description=Snapshot etcd and upload the snapshot to S3
After=kubelet.service network-online.target
Wants=network-online.target

[Service]
Type=oneshot
Nice=10
IOSchedulingClass=idle
ExecStart=/usr/local/sbin/k8s-etcd-backup
UNIT
cat >/etc/systemd/system/k8s-etcd-backup.timer <<UNIT
[Unit]
Description=Snapshot etcd every ${ETCD_BACKUP_INTERVAL_MINUTES} minutes

[Timer]
OnActiveSec=${ETCD_FIRST_BACKUP_MINUTES}min
OnUnitActiveSec=${ETCD_BACKUP_INTERVAL_MINUTES}min
RandomizedDelaySec=1min

[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
systemctl enable --now k8s-etcd-backup.timer
log "etcd snapshots every ${ETCD_BACKUP_INTERVAL_MINUTES} minutes (k8s-etcd-backup.timer)"
