# Steps every node runs before it becomes part of the cluster.

log "bootstrap of a ${NODE_ROLE} node for cluster ${CLUSTER_NAME} (Kubernetes ${KUBERNETES_VERSION}) starts"
export DEBIAN_FRONTEND=noninteractive

# --- The kubelet refuses to run with swap on ---
swapoff -a
sed -ri '/^[^#].*\sswap\s/s/^/#/' /etc/fstab

# --- Kernel modules and sysctls for bridged pod traffic ---
cat >/etc/modules-load.d/kubernetes.conf <<'CONF'
overlay
br_netfilter
CONF
modprobe overlay
modprobe br_netfilter
cat >/etc/sysctl.d/90-kubernetes.conf <<'CONF'
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
CONF
sysctl --system >/dev/null

# --- AWS CLI, for the cluster's SSM parameters (read with the instance role) ---
# From the Snap Store, independent of apt: installed in the background while
# the packages below download; waited for before the first SSM read
# (await_aws_cli_and_clock).
retry 10 5 install_aws_cli >/dev/null &
AWS_CLI_INSTALL_PID=$!

# --- One apt transaction: container runtime, time sync, and kubelet,
# kubeadm, kubectl from pkgs.k8s.io, pinned and held ---
# The repository's key is stored as downloaded (ASCII-armoured, which apt
# reads from a .asc file), so no gpg is needed, and the Ubuntu archive and
# pkgs.k8s.io are indexed by one `apt-get update`.
fetch_kubernetes_key() {
  curl -fsSL -o /etc/apt/keyrings/kubernetes-apt-keyring.asc \
    "https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/Release.key"
}
install -d -m 0755 /etc/apt/keyrings
retry 10 5 fetch_kubernetes_key
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/ /" \
  >/etc/apt/sources.list.d/kubernetes.list
# EXTRA_APT_PACKAGES: what this role's later steps need (space-separated).
read -ra extra_apt_packages <<<"${EXTRA_APT_PACKAGES}"
retry 10 5 apt_update
retry 10 5 apt_install containerd chrony "${extra_apt_packages[@]}" \
  "kubelet=${KUBERNETES_PACKAGE_VERSION}" "kubeadm=${KUBERNETES_PACKAGE_VERSION}" "kubectl=${KUBERNETES_PACKAGE_VERSION}"
apt-mark hold kubelet kubeadm kubectl
log "installed containerd, chrony, and kubelet, kubeadm and kubectl ${KUBERNETES_PACKAGE_VERSION} (held)"

# Certificates (the cluster's, Linkerd's) need a correct clock: chrony
# synchronises while the steps below run (await_aws_cli_and_clock, before
# the first SSM read).
systemctl enable --now chrony

# The kubelet and containerd must agree on the systemd cgroup driver. The
# setting is written out in full, not edited into a default file, and then
# checked in the configuration containerd actually loaded.
install -d -m 0755 /etc/containerd
cat >/etc/containerd/config.toml <<CONF
version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${SANDBOX_IMAGE}"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true
CONF
systemctl enable containerd
systemctl restart containerd
containerd config dump | grep -Eq '^[[:space:]]*SystemdCgroup = true$' ||
  die "containerd did not load SystemdCgroup = true"
log "containerd runs with the systemd cgroup driver"
systemctl enable kubelet

# --- This node's identity, for the kubelet ---
NODE_IP="$(retry 10 2 imds local-ipv4)"
PROVIDER_ID="aws:///$(retry 10 2 imds placement/availability-zone)/$(retry 10 2 imds instance-id)"
log "node address ${NODE_IP}, provider ID ${PROVIDER_ID}"
