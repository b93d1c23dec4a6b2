# Deletes the Node object of every worker that has been NotReady for more
# than NOT_READY_MINUTES and whose EC2 instance is terminated or no longer
# exists. With no cloud controller nothing else removes it, and its pods
# would stay Terminating. Runs on the control plane from
# k8s-node-cleanup.timer. A Ready node, the control plane, a node without an
# AWS provider ID and a node whose instance exists in any other state
# (running, stopped, shutting down) are never deleted.

export KUBECONFIG=/etc/kubernetes/admin.conf

nodes="$(kubectl get nodes --output json)"
# "name<TAB>instance id" of each worker NotReady for long enough.
candidates="$(jq -r --argjson now "$(date -u +%s)" --argjson limit "$((NOT_READY_MINUTES * 60))" '
  .items[]
  | select(.metadata.labels["node-role.kubernetes.io/control-plane"] == null)
  | (first(.status.conditions[]? | select(.type == "Ready")) // null) as $ready
  | select($ready != null and $ready.status != "True")
  | select($now - ($ready.lastTransitionTime | fromdateiso8601) > $limit)
  | ((.spec.providerID // "") | capture("^aws:///[a-z0-9-]+/(?<id>i-[0-9a-f]+)$").id) as $id
  | "\(.metadata.name)\t\($id)"' <<<"${nodes}")"
[[ -n "${candidates}" ]] || exit 0

# The control plane's own instance goes into the same question: an answer
# that does not list it (wrong region, a filter gone wrong) is not trusted.
self="$(jq -r '[.items[]
  | select(.metadata.labels["node-role.kubernetes.io/control-plane"] != null)
  | (.spec.providerID // "") | capture("^aws:///[a-z0-9-]+/(?<id>i-[0-9a-f]+)$").id][0] // empty' <<<"${nodes}")"
[[ -n "${self}" ]] || { echo "the control plane's Node has no AWS provider ID; deleting nothing" >&2; exit 1; }

ids="$(cut -f2 <<<"${candidates}" | paste -sd, -),${self}"
answer=""
for attempt in 1 2 3 4 5; do
  if answer="$("${AWS_CLI}" ec2 describe-instances --region "${AWS_REGION}" \
    --filters "Name=instance-id,Values=${ids}" --output json)"; then
    break
  fi
  answer=""
  echo "ec2 describe-instances failed (attempt ${attempt}/5)" >&2
  ((attempt == 5)) || sleep $((attempt * 10))
done
[[ -n "${answer}" ]] || { echo "could not look the instances up; deleting nothing" >&2; exit 1; }

state_of() {
  jq -r --arg id "$1" 'first(.Reservations[]?.Instances[]? | select(.InstanceId == $id) | .State.Name) // "gone"' <<<"${answer}"
}
[[ "$(state_of "${self}")" == running ]] ||
  { echo "EC2's answer does not show this control plane (${self}) running; deleting nothing" >&2; exit 1; }

failed=0
while IFS=$'\t' read -r node id; do
  state="$(state_of "${id}")"
  case "${state}" in
    terminated | gone)
      echo "node ${node}: instance ${id} is ${state}; deleting the Node"
      kubectl delete node "${node}" --wait=false </dev/null || failed=1
      ;;
    *) echo "node ${node}: NotReady, but instance ${id} is ${state}; keeping it" ;;
  esac
done <<<"${candidates}"
exit "${failed}"
