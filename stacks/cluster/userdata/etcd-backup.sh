# Takes a snapshot of etcd with the etcdctl inside the running etcd static pod
# (so it always matches the etcd version kubeadm runs), checks it, and uploads
# it to the S3 location stored in SSM, always to the same object key: the
# bucket is versioned, so each upload adds a version, and the lifecycle rule
# keeps the newest ones by count. Runs on the control plane from
# k8s-etcd-backup.timer; `systemctl start k8s-etcd-backup` takes one now.
# Old snapshots are removed by the bucket's lifecycle rule, never from here.
# After a successful upload it records the time for node-exporter's textfile
# collector, which the backup alerts read; a failed run leaves it unchanged.

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

taken="$(date -u +%s)"
name="$(hostname -s)-$(date -u -d "@${taken}" +%Y%m%dT%H%M%SZ).db"
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
size="$(stat -c %s "${snapshot}")"
# Which node took it, and when, travel as object metadata (`aws s3api
# list-object-versions` / `head-object` show them).
# Encrypted with the cluster key whatever the bucket's default (an existing bucket may have another).
attempt 6 "${AWS_CLI}" s3 cp --region "${AWS_REGION}" --only-show-errors --checksum-algorithm SHA256 \
  --sse aws:kms --sse-kms-key-id "${ETCD_BACKUP_KMS_KEY}" \
  --metadata "node=$(hostname -s),taken=${taken},snapshot=${name}" \
  "${snapshot}" "${location}${SNAPSHOT_OBJECT}"
echo "uploaded etcd snapshot ${name} as a new version of ${location}${SNAPSHOT_OBJECT} (${size} bytes)"

# Written beside the final file and renamed into place: the collector reads
# only *.prom files and never sees a half-written one.
install -d -m 0755 "${TEXTFILE_DIR}"
out="$(mktemp "${TEXTFILE_DIR}/.${TEXTFILE_NAME}.XXXXXX")"
trap 'rm -f "${snapshot}" "${snapshot}.part" "${out}"' EXIT
{
  echo "# HELP ${METRIC_LAST_SUCCESS} When the last etcd snapshot that was checked and uploaded was taken, in Unix seconds."
  echo "# TYPE ${METRIC_LAST_SUCCESS} gauge"
  echo "${METRIC_LAST_SUCCESS} ${taken}"
  echo "# HELP ${METRIC_LAST_SIZE} Size of that snapshot in bytes."
  echo "# TYPE ${METRIC_LAST_SIZE} gauge"
  echo "${METRIC_LAST_SIZE} ${size}"
} >"${out}"
chmod 0644 "${out}"
mv -f "${out}" "${TEXTFILE_DIR}/${TEXTFILE_NAME}"
