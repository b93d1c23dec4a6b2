# Creates a new bootstrap token (valid JOIN_TOKEN_TTL_HOURS) and stores it in
# SSM, so a worker launched at any time can join. Runs on the control plane
# from k8s-refresh-join-token.timer; the previous token expires on its own.

export KUBECONFIG=/etc/kubernetes/admin.conf
umask 077
tmp="$(mktemp)"
trap 'rm -f "${tmp}"' EXIT

token="$(kubeadm token create --ttl "${JOIN_TOKEN_TTL_HOURS}h" \
  --description "worker join token, refreshed by k8s-refresh-join-token.timer")"
[[ "${token}" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || { echo "kubeadm token create printed no token" >&2; exit 1; }
printf '%s' "${token}" >"${tmp}"
unset token

# The value is read from the file, so it never appears on a command line.
# The key is named: without --key-id SSM would encrypt it with aws/ssm instead.
for attempt in 1 2 3 4 5 6; do
  if "${AWS_CLI}" ssm put-parameter --region "${AWS_REGION}" --name "${SSM_JOIN_TOKEN}" \
    --type SecureString --key-id "${SSM_JOIN_TOKEN_KEY}" --overwrite --value "file://${tmp}" >/dev/null; then
    echo "stored a new join token in ${SSM_JOIN_TOKEN}"
    exit 0
  fi
  echo "storing the join token failed (attempt ${attempt}); retrying" >&2
  sleep $((attempt * 10))
done
exit 1
