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

# --- Base packages, container runtime and time sync ---
retry 10 5 apt_update
retry 10 5 apt_install ca-certificates curl gpg containerd chrony

# Certificates (the cluster's, Linkerd's) need a correct clock.
systemctl enable --now chrony
chronyc waitsync 60 1 >/dev/null || die "the clock did not synchronise (chronyc tracking shows why)"
log "clock synchronised"

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

# --- kubelet, kubeadm, kubectl from pkgs.k8s.io, pinned and held ---
fetch_kubernetes_key() {
  curl -fsSL "https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/Release.key" |
    gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
}
install -d -m 0755 /etc/apt/keyrings
retry 10 5 fetch_kubernetes_key
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/ /" \
  >/etc/apt/sources.list.d/kubernetes.list
retry 10 5 apt_update
retry 10 5 apt_install "kubelet=${KUBERNETES_PACKAGE_VERSION}" "kubeadm=${KUBERNETES_PACKAGE_VERSION}" "kubectl=${KUBERNETES_PACKAGE_VERSION}"
apt-mark hold kubelet kubeadm kubectl
systemctl enable kubelet
log "installed kubelet, kubeadm and kubectl ${KUBERNETES_PACKAGE_VERSION} (held)"

# --- AWS CLI, for the cluster's SSM parameters (read with the instance role) ---
retry 10 5 install_aws_cli >/dev/null

# --- This node's identity, for the kubelet ---
NODE_IP="$(retry 10 2 imds local-ipv4)"
PROVIDER_ID="aws:///$(retry 10 2 imds placement/availability-zone)/$(retry 10 2 imds instance-id)"
log "node address ${NODE_IP}, provider ID ${PROVIDER_ID}"
