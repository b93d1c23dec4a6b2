
# --- Removal of dead workers' Node objects (jq, installed with the node's
# packages, reads kubectl's and EC2's answers) ---
command -v jq >/dev/null || die "jq is missing: EXTRA_APT_PACKAGES should have installed it"
cat >/usr/local/sbin/k8s-node-cleanup <<'HELPER'
@@NODE_CLEANUP_SCRIPT@@
HELPER
chmod 0755 /usr/local/sbin/k8s-node-cleanup
cat >/etc/systemd/system/k8s-node-cleanup.service <<'UNIT'
[Unit]
Description=Delete the Node objects of workers whose EC2 instance is gone
After=kubelet.service network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/k8s-node-cleanup
UNIT
cat >/etc/systemd/system/k8s-node-cleanup.timer <<UNIT
[Unit]
Description=Look for dead workers every ${NODE_CLEANUP_INTERVAL_MINUTES} minutes

[Timer]
OnActiveSec=${NODE_CLEANUP_INTERVAL_MINUTES}min
OnUnitActiveSec=${NODE_CLEANUP_INTERVAL_MINUTES}min

[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
systemctl enable --now k8s-node-cleanup.timer
log "dead-worker cleanup every ${NODE_CLEANUP_INTERVAL_MINUTES} minutes (k8s-node-cleanup.timer)"
