
# --- kubeadm certificate renewal and expiry metrics (hourly check) ---
cat >/usr/local/sbin/k8s-cert-renewal <<'HELPER'
@@CERT_RENEWAL_SCRIPT@@
HELPER
chmod 0755 /usr/local/sbin/k8s-cert-renewal
install_timer k8s-cert-renewal "Renew kubeadm's certificates before they expire and export every certificate's expiry" \
  "Check certificates every ${CERT_CHECK_INTERVAL_MINUTES} minutes" 10min "${CERT_CHECK_INTERVAL_MINUTES}min" 5min
log "kubeadm certificates renewed ${CERT_RENEW_BEFORE_DAYS} days before expiry (k8s-cert-renewal.timer)"
