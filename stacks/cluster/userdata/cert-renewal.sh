# Renews kubeadm's certificates long before they expire, restarts the
# control-plane static pods so they load the new ones, and writes the expiry
# of every certificate the platform depends on to a file node-exporter's
# textfile collector exports. Runs on the control plane from
# k8s-cert-renewal.timer; `systemctl start k8s-cert-renewal` runs it now.
#
# Owners (the `owner` label): kubeadm (renewed here), cluster-ca (the CAs,
# never renewed here), terraform-admin (re-issued by a cluster deploy, read
# from SSM), linkerd (issuer and trust anchor, from the platform stack).

export KUBECONFIG="${KUBERNETES_DIR}/admin.conf"
readonly PKI="${KUBERNETES_DIR}/pki"
readonly METRIC=k8s_mesh_certificate_expiry_timestamp_seconds
readonly PAUSED="${KUBERNETES_DIR}/manifests-paused"

# not_after FILE: the notAfter of the (first) certificate in FILE, in Unix seconds.
not_after() {
  local end
  end="$(openssl x509 -noout -enddate -in "$1")" || return 1
  date -u -d "${end#notAfter=}" +%s
}

# kubeconfig_cert FILE: the client certificate embedded in a kubeconfig.
kubeconfig_cert() {
  local data
  data="$(sed -n 's/^ *client-certificate-data: *//p' "$1" | head -n 1)"
  [[ -n "${data}" ]] || return 1
  base64 -d <<<"${data}"
}

# kubeadm_leaves: "name<TAB>notAfter" for each certificate kubeadm issued and renews.
kubeadm_leaves() {
  local f end tmp
  for f in apiserver apiserver-kubelet-client apiserver-etcd-client front-proxy-client \
    etcd/server etcd/peer etcd/healthcheck-client; do
    end="$(not_after "${PKI}/${f}.crt")" || { echo "cannot read ${PKI}/${f}.crt" >&2; return 1; }
    printf '%s\t%s\n' "${f/\//-}" "${end}"
  done
  tmp="$(mktemp)"
  for f in admin super-admin controller-manager scheduler; do
    # super-admin.conf exists from Kubernetes 1.29.
    [[ -f "${KUBERNETES_DIR}/${f}.conf" || "${f}" == super-admin ]] || { echo "missing ${f}.conf" >&2; rm -f "${tmp}"; return 1; }
    [[ -f "${KUBERNETES_DIR}/${f}.conf" ]] || continue
    if ! kubeconfig_cert "${KUBERNETES_DIR}/${f}.conf" >"${tmp}" || ! end="$(not_after "${tmp}")"; then
      echo "cannot read the client certificate in ${f}.conf" >&2
      rm -f "${tmp}"
      return 1
    fi
    printf '%s.conf\t%s\n' "${f}" "${end}"
  done
  rm -f "${tmp}"
}

# Static pods are restarted by taking their manifest away for longer than
# the kubelet's file check period and putting it back (kubeadm's documented
# way). A manifest still set aside when the script stops is put back.
restore_manifests() {
  local m
  for m in "${PAUSED}"/*.yaml; do
    [[ -e "${m}" ]] && mv -f "${m}" "${KUBERNETES_DIR}/manifests/"
  done
  return 0
}
trap restore_manifests EXIT

wait_api_ready() {
  local i
  for ((i = 1; i <= 30; i++)); do
    kubectl get --raw=/readyz >/dev/null 2>&1 && return 0
    sleep 10
  done
  echo "the API server did not become ready" >&2
  return 1
}

restart_static_pods() {
  local c
  install -d -m 0700 "${PAUSED}"
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler; do
    mv "${KUBERNETES_DIR}/manifests/${c}.yaml" "${PAUSED}/"
    sleep "${STATIC_POD_PAUSE_SECONDS}"
    mv "${PAUSED}/${c}.yaml" "${KUBERNETES_DIR}/manifests/"
    sleep "${STATIC_POD_PAUSE_SECONDS}"
    wait_api_ready || return 1
    echo "restarted ${c}"
  done
}

now="$(date -u +%s)"
leaves="$(kubeadm_leaves)"
soonest="$(cut -f2 <<<"${leaves}" | sort -n | head -n 1)"
if ((soonest - now < RENEW_BEFORE_DAYS * 86400)); then
  echo "a kubeadm certificate expires in $(((soonest - now) / 86400)) days: renewing all of them"
  kubeadm certs renew all
  restart_static_pods
  leaves="$(kubeadm_leaves)"
  soonest="$(cut -f2 <<<"${leaves}" | sort -n | head -n 1)"
  ((soonest - now >= RENEW_BEFORE_DAYS * 86400)) || { echo "kubeadm certs renew all left a certificate expiring in $(((soonest - now) / 86400)) days" >&2; exit 1; }
fi

# --- Expiry of every certificate, for node-exporter ---
# Written beside the final file and renamed into place: the collector reads
# only *.prom files and never sees a half-written one.
install -d -m 0755 "${TEXTFILE_DIR}"
out="$(mktemp "${TEXTFILE_DIR}/.${TEXTFILE_NAME}.XXXXXX")"
trap 'rm -f "${out}"; restore_manifests' EXIT
{
  echo "# HELP ${METRIC} When a certificate the platform depends on expires (notAfter), in Unix seconds."
  echo "# TYPE ${METRIC} gauge"
  while IFS=$'\t' read -r name end; do
    echo "${METRIC}{certificate=\"${name}\",owner=\"kubeadm\"} ${end}"
  done <<<"${leaves}"
  for f in ca front-proxy-ca etcd/ca; do
    end="$(not_after "${PKI}/${f}.crt")" || exit 1
    echo "${METRIC}{certificate=\"${f/\//-}\",owner=\"cluster-ca\"} ${end}"
  done
} >"${out}"

# The others are reported when they can be read; a missing one shows as an
# absent series (alerted on), not as a failed run.
pem="$(mktemp)"
trap 'rm -f "${out}" "${pem}"; restore_manifests' EXIT
report() {
  local end
  if [[ -s "${pem}" ]] && end="$(not_after "${pem}")"; then
    echo "${METRIC}{certificate=\"$1\",owner=\"$2\"} ${end}" >>"${out}"
  else
    echo "cannot read the $1 certificate; not reported" >&2
  fi
}
"${AWS_CLI}" ssm get-parameter --region "${AWS_REGION}" --name "${SSM_ADMIN_CERT}" \
  --query Parameter.Value --output text >"${pem}" || true
report terraform-admin terraform-admin
kubectl get configmap --namespace "${LINKERD_NAMESPACE}" "${LINKERD_TRUST_ROOTS_CONFIGMAP}" \
  --output 'jsonpath={.data.ca-bundle\.crt}' >"${pem}" || true
report linkerd-trust-anchor linkerd
{ kubectl get secret --namespace "${LINKERD_NAMESPACE}" "${LINKERD_ISSUER_SECRET}" \
  --output 'jsonpath={.data.crt\.pem}' | base64 -d; } >"${pem}" || true
report linkerd-issuer linkerd

chmod 0644 "${out}"
mv -f "${out}" "${TEXTFILE_DIR}/${TEXTFILE_NAME}"
echo "certificate expiries written to ${TEXTFILE_DIR}/${TEXTFILE_NAME}"
