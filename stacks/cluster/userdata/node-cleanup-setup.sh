
# --- Removal of dead workers' Node objects (jq, installed with the node's
# packages, reads kubectl's and EC2's answers) ---
command -v jq >/dev/null || die "jq is missing: EXTRA_APT_PACKAGES should have installed it"
cat >/usr/local/sbin/k8s-node-cleanup <<'HELPER'
@@NODE_CLEANUP_SCRIPT@@
HELPER
chmod 0755 /usr/local/sbin/k8s-node-cleanup
install_timer k8s-node-cleanup "Delete the Node objects of workers whose EC2 instance is gone" \
  "Look for dead workers every ${NODE_CLEANUP_INTERVAL_MINUTES} minutes" "${NODE_CLEANUP_INTERVAL_MINUTES}min" "${NODE_CLEANUP_INTERVAL_MINUTES}min"
log "dead-worker cleanup every ${NODE_CLEANUP_INTERVAL_MINUTES} minutes (k8s-node-cleanup.timer)"
