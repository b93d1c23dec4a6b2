# Takes a snapshot of etcd with the etcdctl inside the running etcd static pod
# (so it always matches the etcd version kubeadm runs), checks it, and uploads
# it to the S3 location stored in SSM. Runs on the control plane from
# k8s-etcd-backup.timer; `systemctl start k8s-etcd-backup` takes one now.
# Old snapshots are removed by the bucket's lifecycle rule, never from here.

export CONTAINER_RUNTIME_ENDPOINT=unix:///run/containerd/containerd.sock
readonly PKI=/etc/kubernetes/pki/etcd

# attempt N COMMAND...: runs COMMAND up to N times, waiting longer each time.
attempt() {
  local n="$1" i
  shift
  for ((i = 1; i <= n; i++)); do
    "$@" && return 0
    echo "'$1' failed (attempt ${i}/${n})" >&2
    ((i == n)) || sleep $((i * 10))
  done
  return 1
}

etcd_container="$(crictl ps --name '^etcd$' --state Running --quiet | head -n 1)"
[[ -n "${etcd_container}" ]] || { echo "no running etcd container" >&2; exit 1; }
in_etcd() {
  crictl exec "${etcd_container}" "$@"
}

name="$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ).db"
# The data directory is mounted at the same path in the pod: etcdctl writes
# the snapshot there and the host reads it back.
snapshot="${ETCD_DATA_DIR}/backup-${name}"
trap 'rm -f "${snapshot}" "${snapshot}.part"' EXIT

in_etcd etcdctl --endpoints="https://127.0.0.1:${ETCD_CLIENT_PORT}" --cacert="${PKI}/ca.crt" \
  --cert="${PKI}/healthcheck-client.crt" --key="${PKI}/healthcheck-client.key" \
  snapshot save "${snapshot}" >/dev/null
# Reads the whole file and checks its hash; fails on a damaged snapshot.
in_etcd etcdutl snapshot status "${snapshot}" --write-out=table >&2

location="$(attempt 6 "${AWS_CLI}" ssm get-parameter --region "${AWS_REGION}" \
  --name "${SSM_ETCD_BACKUP_LOCATION}" --query Parameter.Value --output text)"
[[ "${location}" == s3://*/ ]] || { echo "${SSM_ETCD_BACKUP_LOCATION} holds no s3:// prefix: '${location}'" >&2; exit 1; }
attempt 6 "${AWS_CLI}" s3 cp --region "${AWS_REGION}" --only-show-errors --checksum-algorithm SHA256 \
  "${snapshot}" "${location}${name}"
echo "uploaded etcd snapshot ${location}${name} ($(stat -c %s "${snapshot}") bytes)"
