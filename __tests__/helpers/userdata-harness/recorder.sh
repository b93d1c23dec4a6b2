#!/bin/bash
# Stands in for every external command a node's bootstrap runs (installed
# into the harness's bin folder under each command's name). Each call is
# logged with its full argv; the answer imitates the real command where the
# bootstrap reads it. Nothing here touches the machine outside the scratch
# root ($K8S_ROOT) and the harness folder ($K8S_HARNESS).
#
# Harness layout ($K8S_HARNESS):
#   calls.log            one record per call: name and args separated by 0x1f, ended by 0x1e
#   scenario/ssm/NAME    SSM parameter values (NAME with / replaced by %)
#   scenario/imds/PATH   instance-metadata values (PATH with / replaced by %)
#   scenario/fail/KEY    how many times the call KEY fails before it succeeds ("always" = never succeeds)
#   K8S_FLAKY=1          every network call fails on each odd occurrence of its command line
#   K8S_NO_LAUNCH_HOOK=1 no launch hook holds the instance (a group created before the hook existed)
#   scenario/api-server  host:port where the fake API server answers /livez
#   scenario/ca.crt      the CA the fake API server's certificate chains to
#   scenario/nodes.json  what `kubectl get nodes -o json` prints
#   scenario/ec2.json    what `aws ec2 describe-instances` prints
#   handlers/NAME        a bash fragment that replaces the default handler of NAME
#   state/...            what the fake machine remembers (modules, sysctls, packages, units, s3, captured files)
#
# Failure KEYs: "apt-get update", "apt-get install", "curl imds token", "curl imds PATH", "curl pkgs.k8s.io",
# "curl livez", "snap install", "kubeadm config images pull", "aws ssm get-parameter NAME", "aws ssm put-parameter",
# "aws s3 cp", "aws autoscaling complete-lifecycle-action", "kubeadm init", "kubeadm join", "kubeadm token create", "chronyc waitsync",
# "crictl ps", "etcdctl snapshot save", "etcdutl snapshot status", "kubectl create clusterrolebinding",
# "kubectl create clusterrolebinding answer lost" (stored, but the client sees an error), "kubectl get --raw".
set -uo pipefail

name="${0##*/}"
state="${K8S_HARNESS}/state"
scenario="${K8S_HARNESS}/scenario"

# record ARGS...: one record, written with a single append, so that a recorder
# running in the background beside the script never splits another's record.
record() {
  local rec
  printf -v rec '%s\x1f' "$@"
  printf '%s\x1e' "${rec}" >>"${K8S_HARNESS}/calls.log"
}

# The helpers below read the harness's files with bash builtins: the recorder
# runs for every faked call, and a grep or cat per lookup would cost a process each.

# emit FILE: FILE's content on stdout, byte for byte (as cat prints it); false when FILE is missing.
emit() {
  local body=""
  [[ -f "$1" ]] || return 1
  IFS= read -r -d '' body <"$1" || true
  printf '%s' "${body}"
}

# count_lines FILE LINE: how many lines of FILE are exactly LINE (0 when FILE is missing).
count_lines() {
  local line n=0
  if [[ -f "$1" ]]; then
    while IFS= read -r line || [[ -n "${line}" ]]; do
      [[ "${line}" == "$2" ]] && n=$((n + 1))
    done <"$1"
  fi
  echo "${n}"
}

# has_line FILE LINE: true when a line of FILE is exactly LINE.
has_line() {
  local line
  [[ -f "$1" ]] || return 1
  while IFS= read -r line || [[ -n "${line}" ]]; do
    [[ "${line}" == "$2" ]] && return 0
  done <"$1"
  return 1
}

# has_line_starting FILE PREFIX: true when a line of FILE starts with PREFIX.
has_line_starting() {
  local line
  [[ -f "$1" ]] || return 1
  while IFS= read -r line || [[ -n "${line}" ]]; do
    [[ "${line}" == "$2"* ]] && return 0
  done <"$1"
  return 1
}

# fails KEY: true while KEY still has failures left (each call uses one up).
fails() {
  local file left
  file="${scenario}/fail/$(key_of "$1")"
  [[ -f "${file}" ]] || return 1
  left="$(<"${file}")"
  [[ "${left}" == always ]] && return 0
  ((left > 0)) || return 1
  echo $((left - 1)) >"${file}"
  return 0
}

# net_fails KEY: like fails, and also, with K8S_FLAKY=1, true on every odd
# occurrence of this exact command line: each network call fails once and
# then succeeds, so only a call that is retried gets through.
net_fails() {
  fails "$1" && return 0
  [[ "${K8S_FLAKY:-}" == 1 ]] || return 1
  local n
  printf '%s\n' "${argv_line}" >>"${state}/flaky-seen"
  n="$(count_lines "${state}/flaky-seen" "${argv_line}")"
  ((n % 2 == 1)) || return 1
  printf '%s\n' "${argv_line}" >>"${state}/flaky-failures"
  return 0
}

# installed PACKAGE: true once apt-get installed PACKAGE (any version).
installed() {
  has_line "${state}/packages" "$1"
}

# A command that a package provides does not exist before the package is installed:
# bash's own answer then (exit 127).
needs_package() {
  installed "$1" && return 0
  echo "bash: line 1: ${name}: command not found" >&2
  exit 127
}

# init_value KEY: a value of the kubeadm init configuration kubeadm was handed: a
# plain `key: value` line, or an extraArgs entry (`- name: key` then `value: ...`).
init_value() {
  awk -v k="$1" '
    $1 == k ":" { v = $2; gsub(/"/, "", v); print v; exit }
    $1 == "-" && $2 == "name:" { n = $3; gsub(/"/, "", n); want = (n == k); next }
    want && $1 == "value:" { v = $2; gsub(/"/, "", v); print v; exit }
  ' "${state}/captured/kubeadm-init.yaml" 2>/dev/null
}

# key_of FILE: the SSM file name of a parameter name.
key_of() {
  printf '%s' "${1//\//%}"
}

# opt NAME ARGS...: the value following option NAME (--name VALUE or --name=VALUE).
opt() {
  local want="$1"
  shift
  while (($#)); do
    case "$1" in
      "${want}") printf '%s' "${2-}"; return 0 ;;
      "${want}"=*) printf '%s' "${1#*=}"; return 0 ;;
    esac
    shift
  done
  return 1
}

record "${name}" "$@"
argv_line="${name} $*"

if [[ -f "${K8S_HARNESS}/handlers/${name}" ]]; then
  # shellcheck source=/dev/null
  source "${K8S_HARNESS}/handlers/${name}"
  exit $?
fi

case "${name}" in
  swapoff) exit 0 ;;

  modprobe)
    # Remembers loaded modules; sysctl reads them.
    echo "$1" >>"${state}/modules"
    ;;

  sysctl)
    # procps-ng: --system applies /etc/sysctl.d/*.conf and implies --ignore, so a key whose
    # /proc/sys file does not exist (net.bridge.* before br_netfilter is loaded) is skipped
    # without a message and the exit status stays 0 (procps-ng src/sysctl.c, "--system"
    # sets IgnoreError). The state records what was applied.
    [[ "$1" == --system ]] || { echo "sysctl: unexpected call: $*" >&2; exit 2; }
    for f in "${K8S_ROOT}"/etc/sysctl.d/*.conf; do
      [[ -f "${f}" ]] || continue
      while IFS= read -r line; do
        [[ "${line}" =~ ^[[:space:]]*([a-z0-9_.-]+)[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
        key="${BASH_REMATCH[1]}" value="${BASH_REMATCH[2]}"
        if [[ "${key}" == net.bridge.* ]] && ! has_line "${state}/modules" br_netfilter; then
          continue
        fi
        echo "${key}=${value}" >>"${state}/sysctls"
      done <"${f}"
    done
    ;;

  apt-get)
    # k8s_repo_configured: true when a sources list names pkgs.k8s.io.
    k8s_repo_configured() {
      local list
      for list in "${K8S_ROOT}"/etc/apt/sources.list.d/*.list; do
        [[ "$(emit "${list}")" == *pkgs.k8s.io* ]] && return 0
      done
      return 1
    }
    args=" $* "
    case "${args}" in
      *" update "*)
        net_fails "apt-get update" && { echo "E: Could not get lock /var/lib/apt/lists/lock" >&2; exit 100; }
        echo "Reading package lists..."
        ;;
      *" install "*)
        net_fails "apt-get install" && { echo "E: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?" >&2; exit 100; }
        seen_install=0
        for a in "$@"; do
          if ((seen_install)) && [[ "${a}" != -* ]]; then
            pkg="${a%%=*}"
            # The Kubernetes packages exist only once their repository is configured.
            if [[ "${pkg}" == kube* ]] && ! k8s_repo_configured; then
              echo "E: Unable to locate package ${pkg}" >&2
              exit 100
            fi
            echo "${pkg}" >>"${state}/packages"
            [[ "${a}" == *=* ]] && echo "${a}" >>"${state}/package-versions"
            # kubeadm depends on cri-tools (crictl) in pkgs.k8s.io.
            [[ "${pkg}" == kubeadm ]] && echo cri-tools >>"${state}/packages"
          fi
          [[ "${a}" == install ]] && seen_install=1
        done
        ;;
      *) echo "apt-get: unexpected call: $*" >&2; exit 2 ;;
    esac
    ;;

  apt-mark)
    [[ "$1" == hold ]] || exit 2
    shift
    for p in "$@"; do echo "${p} set on hold."; echo "${p}" >>"${state}/held"; done
    ;;

  systemctl)
    # Units a package ships exist once it is installed; units written by the bootstrap
    # exist as files under /etc/systemd/system. Enabling a unit that does not exist fails
    # as systemctl does ("Failed to enable unit: Unit file NAME does not exist.", exit 1).
    unit_exists() {
      case "$1" in
        chrony|chrony.service) installed chrony ;;
        containerd|containerd.service) installed containerd ;;
        kubelet|kubelet.service) installed kubelet ;;
        *) [[ -f "${K8S_ROOT}/etc/systemd/system/$1" ]] ;;
      esac
    }
    verb="$1"
    shift
    now=0
    units=()
    for a in "$@"; do
      case "${a}" in
        --now) now=1 ;;
        -*) ;;
        *) units+=("${a}") ;;
      esac
    done
    case "${verb}" in
      daemon-reload)
        ls "${K8S_ROOT}/etc/systemd/system" >"${state}/units-loaded" 2>/dev/null
        ;;
      enable | restart | start)
        for u in "${units[@]}"; do
          unit_exists "${u}" || { echo "Failed to ${verb} unit: Unit file ${u} does not exist." >&2; exit 1; }
          [[ "${verb}" == enable ]] && echo "${u}" >>"${state}/enabled"
          if [[ "${verb}" != enable || ${now} == 1 ]]; then
            # A unit file written after the last daemon-reload is not what systemd starts.
            if [[ -f "${K8S_ROOT}/etc/systemd/system/${u}" ]] && ! has_line "${state}/units-loaded" "${u}"; then
              echo "Warning: The unit file, source configuration file or drop-ins of ${u} changed on disk. Run 'systemctl daemon-reload' to reload units." >&2
              echo "${u}" >>"${state}/started-stale"
            fi
            echo "${u}" >>"${state}/started"
          fi
        done
        ;;
      *) echo "systemctl: unexpected call: ${verb} $*" >&2; exit 2 ;;
    esac
    ;;

  chronyc)
    needs_package chrony
    # chronyc waitsync exits 1 when the clock is not synchronised within the tries.
    fails "chronyc waitsync" && { echo "try: 60, refid: 00000000, correction: 0.000000000, skew: 0.000" ; exit 1; }
    echo "try: 1, refid: A9FEA97B, correction: 0.000012345, skew: 0.123"
    ;;

  containerd)
    needs_package containerd
    # `containerd config dump` prints the configuration as loaded from
    # /etc/containerd/config.toml merged with the defaults; runc's SystemdCgroup
    # is false unless that file sets it in the runc options table.
    [[ "$*" == "config dump" ]] || { echo "containerd: unexpected call: $*" >&2; exit 2; }
    cfg="${K8S_ROOT}/etc/containerd/config.toml"
    value=false
    if [[ -f "${cfg}" ]] && awk '
        /^\[/ { t = $0 }
        t == "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]" && $1 == "SystemdCgroup" && $3 == "true" { found = 1 }
        END { exit !found }' "${cfg}"; then
      value=true
    fi
    printf 'version = 2\n\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    [plugins."io.containerd.grpc.v1.cri".containerd]\n      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]\n        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n          SystemdCgroup = %s\n' "${value}"
    ;;

  curl)
    url="${*: -1}"
    out=""
    for ((i = 1; i <= $#; i++)); do
      [[ "${!i}" == -o ]] && { j=$((i + 1)); out="${!j}"; }
    done
    case "${url}" in
      http://169.254.169.254/latest/api/token)
        net_fails "curl imds token" && { echo "curl: (28) Connection timed out after 5001 milliseconds" >&2; exit 28; }
        printf 'AQAEAFakeImdsSessionToken=='
        ;;
      http://169.254.169.254/latest/meta-data/*)
        net_fails "curl imds ${url#http://169.254.169.254/latest/meta-data/}" && { echo "curl: (28) Connection timed out after 5001 milliseconds" >&2; exit 28; }
        # IMDSv2: a GET without the session token is refused (401).
        [[ " $* " == *" X-aws-ec2-metadata-token: AQAEAFakeImdsSessionToken== "* ]] ||
          { echo "curl: (22) The requested URL returned error: 401" >&2; exit 22; }
        key="${url#http://169.254.169.254/latest/meta-data/}"
        f="${scenario}/imds/${key//\//%}"
        emit "${f}" || { echo "curl: (22) The requested URL returned error: 404" >&2; exit 22; }
        ;;
      https://pkgs.k8s.io/core:/stable:/v*/deb/Release.key)
        net_fails "curl pkgs.k8s.io" && { echo "curl: (6) Could not resolve host: pkgs.k8s.io" >&2; exit 6; }
        body="-----BEGIN PGP PUBLIC KEY BLOCK-----\n(the signing key of ${url})\n-----END PGP PUBLIC KEY BLOCK-----\n"
        if [[ -n "${out}" ]]; then printf '%b' "${body}" >"${out}"; else printf '%b' "${body}"; fi
        ;;
      https://*/livez)
        # The fake API server answers "ok" (the body of /livez) on its host:port only,
        # over TLS with a certificate from the scenario's CA.
        hostport="${url#https://}"
        hostport="${hostport%/livez}"
        cacert="$(opt --cacert "$@")" || cacert=""
        if [[ -n "${cacert}" && ! -f "${cacert}" ]]; then
          echo "curl: (77) error setting certificate file: ${cacert}" >&2; exit 77
        fi
        if [[ "${hostport}" != "$(emit "${scenario}/api-server")" ]] || net_fails "curl livez"; then
          echo "curl: (7) Failed to connect to ${hostport%:*} port ${hostport##*:} after 3 ms: Couldn't connect to server" >&2
          exit 7
        fi
        if [[ -z "${cacert}" ]] || ! cmp -s "${cacert}" "${scenario}/ca.crt"; then
          echo "curl: (60) SSL certificate problem: unable to get local issuer certificate" >&2; exit 60
        fi
        echo ok
        ;;
      *) echo "curl: (6) Could not resolve host: (no fake for ${url})" >&2; exit 6 ;;
    esac
    ;;

  gpg)
    out="$(opt -o "$@")" || { echo "gpg: unexpected call: $*" >&2; exit 2; }
    body="$(cat)"
    [[ "${body}" == *"BEGIN PGP PUBLIC KEY BLOCK"* ]] || { echo "gpg: no valid OpenPGP data found." >&2; exit 2; }
    printf 'dearmored:%s' "${body}" >"${out}"
    ;;

  snap)
    case "$*" in
      "wait system seed.loaded") ;;
      "install aws-cli --classic")
        net_fails "snap install" && { echo 'error: cannot install "aws-cli": Post "https://api.snapcraft.io/v2/snaps/refresh": dial tcp: lookup api.snapcraft.io: Temporary failure in name resolution' >&2; exit 1; }
        mkdir -p "${K8S_ROOT}/snap/bin"
        ln -sf "${K8S_HARNESS}/bin/aws" "${K8S_ROOT}/snap/bin/aws"
        echo "aws-cli (v2/stable) 2.22.35 from Amazon Web Services (aws✓) installed"
        ;;
      *) echo "snap: unexpected call: $*" >&2; exit 2 ;;
    esac
    ;;

  aws)
    [[ "$*" == --version ]] && { echo "aws-cli/2.22.35 Python/3.12.6 Linux/6.8.0-1021-aws exe/x86_64.ubuntu.24"; exit 0; }
    case "$1 $2" in
      "ssm get-parameter")
        pname="$(opt --name "$@")"
        net_fails "aws ssm get-parameter ${pname}" && {
          echo "An error occurred (ThrottlingException) when calling the GetParameter operation (reached max retries: 2): Rate exceeded" >&2; exit 254; }
        f="${scenario}/ssm/$(key_of "${pname}")"
        [[ -f "${f}" ]] || { echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: " >&2; exit 254; }
        # --query Parameter.Value --output text prints the bare value and a newline.
        [[ "$(opt --query "$@")" == Parameter.Value && "$(opt --output "$@")" == text ]] || { echo "aws: unexpected output options: $*" >&2; exit 2; }
        emit "${f}"
        echo
        ;;
      "ssm put-parameter")
        net_fails "aws ssm put-parameter" && { echo "An error occurred (ThrottlingException) when calling the PutParameter operation (reached max retries: 2): Rate exceeded" >&2; exit 254; }
        pname="$(opt --name "$@")"
        value="$(opt --value "$@")"
        if [[ "${value}" == file://* ]]; then value="$(emit "${value#file://}")" || exit 255; fi
        printf '%s' "${value}" >"${scenario}/ssm/$(key_of "${pname}")"
        echo "${pname}" >>"${state}/ssm-puts"
        printf '{\n    "Version": 2,\n    "Tier": "Standard"\n}\n'
        ;;
      "ec2 describe-instances")
        # The answer recorded in scenario/ec2.json (an empty reservation list without one).
        emit "${scenario}/ec2.json" || echo '{"Reservations": []}'
        ;;
      "s3 cp")
        net_fails "aws s3 cp" && { echo "upload failed: An error occurred (AccessDenied) when calling the PutObject operation: Access Denied" >&2; exit 1; }
        n=$#
        src_i=$((n - 1))
        src="${!src_i}" dst="${!n}"
        mkdir -p "${state}/s3"
        cp "${src}" "${state}/s3/$(key_of "${dst}")" || exit 1
        echo "${dst}" >>"${state}/s3-uploads"
        ;;
      "autoscaling complete-lifecycle-action")
        net_fails "aws autoscaling complete-lifecycle-action" && {
          echo "An error occurred (AccessDenied) when calling the CompleteLifecycleAction operation: User is not authorized to perform: autoscaling:CompleteLifecycleAction" >&2; exit 254; }
        [[ "${K8S_NO_LAUNCH_HOOK:-}" == 1 ]] && {
          echo "An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID $(opt --instance-id "$@")" >&2; exit 254; }
        # The real command prints nothing on success.
        printf '%s %s %s %s\n' "$(opt --auto-scaling-group-name "$@")" "$(opt --lifecycle-hook-name "$@")" \
          "$(opt --instance-id "$@")" "$(opt --lifecycle-action-result "$@")" >>"${state}/lifecycle-completions"
        ;;
      *) echo "aws: unexpected call: $*" >&2; exit 2 ;;
    esac
    ;;

  kubeadm)
    needs_package kubeadm
    case "$1" in
      init | join)
        { if [[ "$1" == join ]]; then net_fails "kubeadm join"; else fails "kubeadm init"; fi; } && { echo "error execution phase preflight: couldn't validate the identity of the API Server: Get \"https://10.0.1.10:6443/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s\": dial tcp 10.0.1.10:6443: connect: connection refused" >&2; exit 1; }
        cfg="$(opt --config "$@")"
        [[ -f "${cfg}" ]] || { echo "failed to load config from file \"${cfg}\": open ${cfg}: no such file or directory" >&2; exit 1; }
        cp "${cfg}" "${state}/captured/kubeadm-$1.yaml"
        stat -c %a "${cfg}" >"${state}/captured/kubeadm-$1.yaml.mode"
        if [[ "$1" == init ]]; then
          # kubeadm init writes the admin kubeconfig and the etcd client certificates.
          mkdir -p "${K8S_ROOT}/etc/kubernetes/pki/etcd"
          echo "apiVersion: v1" >"${K8S_ROOT}/etc/kubernetes/admin.conf"
          echo "Your Kubernetes control-plane has initialized successfully!"
        else
          echo "This node has joined the cluster:"
        fi
        ;;
      config)
        # `kubeadm config images pull --kubernetes-version vX.Y.Z`: the images
        # kubeadm init would otherwise pull itself, recorded as pulled.
        [[ "$2 $3" == "images pull" ]] || { echo "kubeadm: unexpected call: $*" >&2; exit 2; }
        net_fails "kubeadm config images pull" && { echo "failed to pull image \"registry.k8s.io/kube-apiserver\": dial tcp: lookup registry.k8s.io: Temporary failure in name resolution" >&2; exit 1; }
        version="$(opt --kubernetes-version "$@")" || { echo "kubeadm: config images pull without --kubernetes-version" >&2; exit 2; }
        echo "${version}" >>"${state}/images-pulled"
        echo "[config/images] Pulled registry.k8s.io/kube-apiserver:${version}"
        ;;
      reset) echo "[reset] Deleted contents of the etcd data directory: /var/lib/etcd" ;;
      token)
        [[ "$2" == create ]] || exit 2
        fails "kubeadm token create" && { echo "failed to create or update bootstrap token with name bootstrap-token-abcdef: etcdserver: request timed out" >&2; exit 1; }
        # `kubeadm token create` prints the new token alone on stdout.
        echo "${FAKE_NEW_TOKEN-k3n9zq.0f1e2d3c4b5a6978}"
        ;;
      *) echo "kubeadm: unexpected call: $*" >&2; exit 2 ;;
    esac
    ;;

  kubectl)
    needs_package kubectl
    case "$*" in
      *"create clusterrolebinding "*)
        fails "kubectl create clusterrolebinding" && { echo "The connection to the server 10.0.1.10:6443 was refused - did you specify the right host or port?" >&2; exit 1; }
        [[ -f "$(opt --kubeconfig "$@")" ]] || { echo "error: stat $(opt --kubeconfig "$@"): no such file or directory" >&2; exit 1; }
        binding="$(opt clusterrolebinding "$@")"
        # The API server refuses to create an object whose name is taken.
        if has_line_starting "${state}/clusterrolebindings" "${binding} "; then
          echo "error: failed to create clusterrolebinding: clusterrolebindings.rbac.authorization.k8s.io \"${binding}\" already exists" >&2; exit 1
        fi
        echo "${binding} $(opt --clusterrole "$@") $(opt --group "$@")" >>"${state}/clusterrolebindings"
        # Stored by the API server, but its answer never reached the client.
        fails "kubectl create clusterrolebinding answer lost" && { echo "error: failed to create clusterrolebinding: the server was unable to return a response in the time allotted, but may still be processing the request (post clusterrolebindings.rbac.authorization.k8s.io)" >&2; exit 1; }
        echo "clusterrolebinding.rbac.authorization.k8s.io/${binding} created"
        ;;
      # The answer recorded in scenario/nodes.json (no node without one).
      "get nodes "*) emit "${scenario}/nodes.json" || echo '{"items": []}' ;;
      "delete node "*) echo "node \"$3\" deleted" ;;
      *"get --raw /.well-known/openid-configuration"*)
        fails "kubectl get --raw" && { echo "The connection to the server 10.0.1.10:6443 was refused - did you specify the right host or port?" >&2; exit 1; }
        # As kube-apiserver builds it from the flags kubeadm init was given: jwks_uri is
        # --service-account-jwks-uri, or without it the API server's own address
        # (kube-apiserver flag reference, --service-account-jwks-uri; a recorded document
        # with an https issuer shows jwks_uri https://<advertise address>:6443/openid/v1/jwks).
        issuer="$(init_value service-account-issuer)"
        jwks="$(init_value service-account-jwks-uri)"
        [[ -n "${jwks}" ]] || jwks="https://$(init_value advertiseAddress):$(init_value bindPort)/openid/v1/jwks"
        printf '{"issuer":"%s","jwks_uri":"%s","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}' \
          "${issuer}" "${jwks}"
        ;;
      *"get --raw /openid/v1/jwks"*)
        fails "kubectl get --raw" && exit 1
        echo '{"keys":[{"use":"sig","kty":"RSA","kid":"stand-in","alg":"RS256","n":"AQAB","e":"AQAB"}]}'
        ;;
      *) echo "kubectl: unexpected call: $*" >&2; exit 2 ;;
    esac
    ;;

  crictl)
    needs_package cri-tools
    case "$1" in
      ps)
        fails "crictl ps" && exit 0 # no running etcd container: empty output
        echo "3f2a9c1e7b5d"
        ;;
      exec)
        shift 2
        case "$1 $2 $3" in
          etcdctl*)
            [[ " $* " == *" snapshot save "* ]] || { echo "crictl exec: unexpected call: $*" >&2; exit 2; }
            fails "etcdctl snapshot save" && { echo "Error: context deadline exceeded" >&2; exit 1; }
            target="${*: -1}"
            printf 'bbolt snapshot of etcd\n' >"${target}.part" && mv "${target}.part" "${target}"
            echo "Snapshot saved at ${target}"
            ;;
          "etcdutl snapshot status")
            file="$4"
            # A snapshot that fails the check makes etcdutl exit non-zero.
            if fails "etcdutl snapshot status" || [[ ! -f "${file}" ]]; then
              echo "Error: snapshot file integrity check failed" >&2; exit 1
            fi
            printf '+----------+----------+------------+------------+\n|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |\n+----------+----------+------------+------------+\n| 5f9a3b2c |     4711 |       1042 |     5.2 MB |\n+----------+----------+------------+------------+\n'
            ;;
          *) echo "crictl exec: unexpected call: $*" >&2; exit 2 ;;
        esac
        ;;
      *) echo "crictl: unexpected call: $*" >&2; exit 2 ;;
    esac
    ;;

  hostname)
    # On EC2, Ubuntu's hostname is the private DNS name's first label.
    echo "ip-10-0-1-10"
    ;;

  *)
    echo "${name}: no fake for this command in the user-data harness (add a handler)" >&2
    exit 127
    ;;
esac
exit 0
