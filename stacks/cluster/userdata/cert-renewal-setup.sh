
# --- kubeadm certificate renewal and expiry metrics (hourly check) ---
cat >/usr/local/sbin/k8s-cert-renewal <<'HELPER'
@@CERT_RENEWAL_SCRIPT@@
HELPER
chmod 0755 /usr/local/sbin/k8s-cert-renewal
cat >/etc/systemd/system/k8s-cert-renewal.service <<'UNIT'
[Unit]
Description=Renew kubeadm's certificates before they expire and export every certificate's expiry
After=kubelet.service network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/k8s-cert-renewal
UNIT
cat >/etc/systemd/system/k8s-cert-renewal.timer <<UNIT
[Unit]
Description=Check certificates every ${CERT_CHECK_INTERVAL_MINUTES} minutes

[Timer]
OnActiveSec=10min
OnUnitActiveSec=${CERT_CHECK_INTERVAL_MINUTES}min
RandomizedDelaySec=5min

[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
systemctl enable --now k8s-cert-renewal.timer
log "kubeadm certificates renewed ${CERT_RENEW_BEFORE_DAYS} days before expiry (k8s-cert-renewal.timer)"
