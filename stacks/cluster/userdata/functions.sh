# Functions every node's bootstrap uses. Definitions only: nothing runs here,
# so tests can source this file and call one function on its own.
#
# Every line these functions print goes to stderr, which cloud-init copies to
# /var/log/cloud-init-output.log. No function prints a secret.

log() {
  printf '%s [k8s-bootstrap] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

die() {
  log "FATAL: $*"
  exit 1
}

# retry ATTEMPTS DELAY COMMAND [ARGS...]
# Runs COMMAND until it succeeds, at most ATTEMPTS times, doubling DELAY
# (seconds, capped at 60) between attempts. Returns COMMAND's last status.
retry() {
  local attempts="$1" delay="$2" n=1 status=0
  shift 2
  while true; do
    "$@" && return 0
    status=$?
    if ((n >= attempts)); then
      log "giving up on '$1' after ${n} attempts (exit ${status})"
      return "${status}"
    fi
    log "'$1' failed (attempt ${n}/${attempts}, exit ${status}); retrying in ${delay}s"
    sleep "${delay}"
    n=$((n + 1))
    delay=$((delay * 2 > 60 ? 60 : delay * 2))
  done
}

# imds PATH: one instance-metadata value, over IMDSv2.
imds() {
  local token
  token="$(curl -fsS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \
    http://169.254.169.254/latest/api/token)" || return 1
  curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: ${token}" "http://169.254.169.254/latest/meta-data/$1"
}

apt_update() {
  apt-get -q -o DPkg::Lock::Timeout=300 update
}

apt_install() {
  apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends "$@"
}

# Ubuntu AMIs ship no AWS CLI; the snap (signed by the Snap Store) is the
# packaged one on 24.04, where the apt package is gone.
install_aws_cli() {
  snap wait system seed.loaded && snap install aws-cli --classic && "${AWS_CLI}" --version
}

# await_aws_cli_and_clock: waits for what node-setup.sh started in the
# background: the AWS CLI install (AWS_CLI_INSTALL_PID) and chrony's first
# synchronisation. Certificates need a correct clock.
await_aws_cli_and_clock() {
  wait "${AWS_CLI_INSTALL_PID}" || die "the AWS CLI snap could not be installed (see the lines above)"
  chronyc waitsync 60 1 >/dev/null || die "the clock did not synchronise (chronyc tracking shows why)"
  log "AWS CLI installed; clock synchronised"
}

# ssm_get NAME: prints the (decrypted) value of a parameter.
ssm_get() {
  "${AWS_CLI}" ssm get-parameter --region "${AWS_REGION}" --name "$1" --with-decryption \
    --query Parameter.Value --output text
}

# ssm_get_to_file NAME FILE MODE: writes a parameter's value to FILE with MODE,
# never leaving a partial or empty file behind.
ssm_get_to_file() {
  local tmp
  tmp="$(mktemp)" || return 1
  if ssm_get "$1" >"${tmp}" && [[ -s "${tmp}" ]]; then
    install -m "$3" "${tmp}" "$2" && rm -f "${tmp}"
  else
    rm -f "${tmp}"
    return 1
  fi
}

# ca_cert_hash CERT_FILE: the value kubeadm's --discovery-token-ca-cert-hash
# expects: SHA-256 of the certificate's DER-encoded SubjectPublicKeyInfo.
ca_cert_hash() {
  local sum
  sum="$(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" || return 1
  printf 'sha256:%s\n' "${sum%% *}"
}
