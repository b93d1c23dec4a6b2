/**
 * Certificate expiry: the contract between the control plane, which renews
 * kubeadm's certificates and writes every certificate's expiry to a file on
 * its disk (stacks/cluster/userdata/cert-renewal.sh), node-exporter, which
 * exports that file through its textfile collector (the platform stack sets
 * the directory), and the alert rules (lib/alerting/certificates.ts).
 *
 * Where each expiry comes from:
 * - kubeadm's certificates (API server serving, its kubelet, etcd and
 *   front-proxy clients, etcd serving/peer/healthcheck) and the client
 *   certificates inside admin.conf, super-admin.conf, controller-manager.conf
 *   and scheduler.conf: read from disk by the renewal script. The API
 *   server's own `apiserver_client_certificate_expiration_seconds` is a
 *   histogram of the client certificates it sees, with no name of which one,
 *   and covers no serving or etcd certificate, so it cannot stand in;
 * - the cluster CA, front-proxy CA and etcd CA: read from disk likewise;
 * - the Terraform admin certificate: its PEM (public) in an SSM String
 *   parameter the cluster stack writes on every deploy, read by the script;
 * - Linkerd's trust anchor and issuer: the `linkerd-identity-trust-roots`
 *   ConfigMap and the certificate half of the `linkerd-identity-issuer`
 *   Secret, read by the script with admin.conf. Linkerd 2.14 exports no
 *   issuer expiry metric of its own (its proxies export only their own 24 h
 *   leaf certificate's).
 */

/** The gauge the renewal script writes: notAfter in Unix seconds, labels `certificate` and `owner`. */
export const CERT_EXPIRY_METRIC = "k8s_mesh_certificate_expiry_timestamp_seconds";

/** Who renews a certificate: the `owner` label, and what the alert tells the reader to do. */
export const CERT_OWNERS = {
  kubeadm: "kubeadm",
  clusterCa: "cluster-ca",
  terraformAdmin: "terraform-admin",
  linkerd: "linkerd",
} as const;

/** The `certificate` labels the script always writes once the platform is deployed (absence is alerted on). */
export const REQUIRED_CERTIFICATES = {
  kubeadm: ["apiserver", "apiserver-etcd-client", "etcd-server", "admin.conf"],
  terraformAdmin: ["terraform-admin"],
  linkerd: ["linkerd-trust-anchor", "linkerd-issuer"],
} as const;

/**
 * The textfile collector's directory: on the host, where the script writes,
 * and as node-exporter sees it (the chart mounts the host's / read-only at
 * /host/root, prometheus-node-exporter 4.56.1 templates/daemonset.yaml).
 */
export const NODE_EXPORTER_TEXTFILE = {
  hostDir: "/var/lib/node-exporter/textfile",
  containerRoot: "/host/root",
  fileName: "k8s-certificates.prom",
} as const;

/** Days before expiry at which the control plane renews kubeadm's certificates (they live 365 days). */
export const CERT_RENEW_BEFORE_DAYS = 90;

/**
 * Seconds a static pod's manifest stays away (and then back) when the script
 * restarts it: longer than the kubelet's default file check period (20 s).
 */
export const STATIC_POD_PAUSE_SECONDS = 30;

/** Alert thresholds for certificates that live months or years. */
export const CERT_ALERT_DAYS = { ticket: 30, page: 7 } as const;

/** Hours before the Terraform admin certificate's expiry at which a ticket asks for a cluster deploy. */
export const ADMIN_CERT_TICKET_HOURS = 48;

/** Minutes between two runs of the renewal timer (each run re-reads every expiry; renewing happens only when due). */
export const CERT_CHECK_INTERVAL_MINUTES = 60;

/** Hours after which an unchanged expiry file is stale (the hourly timer did not run, or failed). */
export const CERT_EXPIRY_STALE_HOURS = 3;
