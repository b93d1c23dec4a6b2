# A worker: pin the cluster CA, wait for the API server, join with the
# current token from SSM. The join is retried until JOIN_TIMEOUT_SECONDS.

install -d -m 0755 /etc/kubeadm-bootstrap
retry 30 2 ssm_get_to_file "${SSM_CA_CERT}" /etc/kubeadm-bootstrap/ca.crt 0644
CA_CERT_HASH="$(ca_cert_hash /etc/kubeadm-bootstrap/ca.crt)"
log "pinning the cluster CA ${CA_CERT_HASH}"

api_server_answers() {
  curl -fsS --max-time 5 --cacert /etc/kubeadm-bootstrap/ca.crt \
    "https://${CONTROL_PLANE_PRIVATE_IP}:${API_SERVER_PORT}/livez" >/dev/null
}

# One join attempt, with the token SSM holds now (the control plane refreshes it).
join_once() {
  local JOIN_TOKEN
  JOIN_TOKEN="$(ssm_get "${SSM_JOIN_TOKEN}")" || return 1
  umask 077
  cat >/etc/kubeadm-bootstrap/join.yaml <<CONF
@@KUBEADM_JOIN_CONFIG@@
CONF
  umask 022
  if kubeadm join --config /etc/kubeadm-bootstrap/join.yaml; then
    rm -f /etc/kubeadm-bootstrap/join.yaml
    return 0
  fi
  log "kubeadm join failed; resetting this node before the next attempt"
  kubeadm reset --force >/dev/null 2>&1 || true
  return 1
}

deadline=$((SECONDS + JOIN_TIMEOUT_SECONDS))
until api_server_answers; do
  ((SECONDS < deadline)) || die "the API server at ${CONTROL_PLANE_PRIVATE_IP}:${API_SERVER_PORT} did not answer within ${JOIN_TIMEOUT_SECONDS}s (see the control plane's /var/log/cloud-init-output.log)"
  log "waiting for the API server at ${CONTROL_PLANE_PRIVATE_IP}:${API_SERVER_PORT}"
  sleep 15
done
until join_once; do
  ((SECONDS < deadline)) || die "could not join the cluster within ${JOIN_TIMEOUT_SECONDS}s"
  sleep 15
done
log "joined the cluster as a worker"
