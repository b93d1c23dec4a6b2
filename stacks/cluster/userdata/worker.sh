# A worker: pin the cluster CA, wait for the API server, join with the
# current token from SSM. The join is retried until JOIN_TIMEOUT_SECONDS.
#
# The group holds this instance in its launch hook until the bootstrap
# completes it, right after the join. A bootstrap that fails or runs out of
# time never completes it: the hook's timeout abandons the instance and the
# group replaces it.

await_aws_cli_and_clock
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

# SECONDS counts from the bootstrap's start, and so does the deadline: the
# launch hook's timeout (the join deadline plus a margin for the boot) runs
# from the launch, so time spent installing packages comes off the wait.
deadline=${JOIN_TIMEOUT_SECONDS}
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

# Tell the group this worker is in service (only after the join: until then
# the launch hook holds it, and abandons it at the hook's timeout).
complete_launch_hook() {
  local out
  if out="$("${AWS_CLI}" autoscaling complete-lifecycle-action --region "${AWS_REGION}" \
    --auto-scaling-group-name "${WORKER_GROUP_NAME}" --lifecycle-hook-name "${WORKER_LAUNCH_HOOK}" \
    --instance-id "${INSTANCE_ID}" --lifecycle-action-result CONTINUE 2>&1)"; then
    return 0
  fi
  # A group created before it had the hook launches straight into service.
  if [[ "${out}" == *"No active Lifecycle Action found"* ]]; then
    log "no launch hook holds this instance (its group has none): nothing to complete"
    return 0
  fi
  printf '%s\n' "${out}" >&2
  return 1
}
INSTANCE_ID="$(retry 10 2 imds instance-id)" || die "joined, but could not read this instance's id; the group abandons it when its launch hook times out"
retry 10 5 complete_launch_hook ||
  die "joined, but could not complete the launch hook ${WORKER_LAUNCH_HOOK} of ${WORKER_GROUP_NAME}; the group abandons this worker when the hook times out"
log "launch hook ${WORKER_LAUNCH_HOOK} done: the group counts this worker as in service"
