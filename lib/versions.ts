/**
 * Every version this project deploys, in one place.
 *
 * Config defaults, tests and docs read from here; no other file spells a
 * version. Changing one of these is a reviewed change of what runs in the
 * cluster, so each entry says where the value comes from.
 */

/** Kubernetes, installed from pkgs.k8s.io (one apt repository per minor). */
export const KUBERNETES = {
  /** Default cluster version: the newest minor Linkerd stable-2.14 supports, at its last patch. */
  version: "1.28.15",
  /** Debian package revision that pkgs.k8s.io appends (`kubelet=1.28.15-1.1`). */
  packageRevision: "1.1",
  /** The Kubernetes minors Linkerd stable-2.14.x supports (its release notes: 1.21 to 1.28). */
  linkerdSupportedMinors: { min: 21, max: 28 },
  /**
   * The last released patch of each minor this project can install: every
   * patch from .0 to this one exists (Kubernetes numbers its patches without
   * gaps; the CHANGELOG/CHANGELOG-1.NN.md of each release branch lists them).
   * Each minor here is past its end of life, so its entry is final: 1.28
   * ended at 1.28.15. To deploy another minor, add it with its latest patch
   * (from kubernetes.io/releases or its changelog) and keep the entry current
   * until that minor's final patch.
   */
  releasedPatches: {
    "1.21": 14,
    "1.22": 17,
    "1.23": 17,
    "1.24": 17,
    "1.25": 16,
    "1.26": 15,
    "1.27": 16,
    "1.28": 15,
    "1.29": 15,
    "1.30": 14,
    "1.31": 14,
  } as Readonly<Record<string, number>>,
} as const;

/**
 * Why `version` (x.y.z) is not a Kubernetes release this project knows, or
 * undefined when it is one.
 */
export function unreleasedKubernetesVersion(version: string): string | undefined {
  const minor = kubernetesMinor(version);
  const patch = Number(version.split(".")[2]);
  const last = KUBERNETES.releasedPatches[minor];
  const known = Object.keys(KUBERNETES.releasedPatches);
  if (last === undefined) {
    return (
      `must be a release of a Kubernetes minor listed in KUBERNETES.releasedPatches in lib/versions.ts (${known[0]} to ${known[known.length - 1]}); ` +
      `to deploy ${minor}, add "${minor}" there with its latest patch number`
    );
  }
  if (patch > last) return `must be a released patch: ${minor} ends at ${minor}.${last} (${minor}.0 to ${minor}.${last} exist)`;
  return undefined;
}

/** Ubuntu LTS release the nodes boot from (Canonical's published AMIs). */
export const UBUNTU = {
  release: "24.04",
  codename: "noble",
  /** Canonical's AWS account, the owner of the official Ubuntu AMIs. */
  amiOwner: "099720109477",
} as const;

/** Helm charts, with the repository each one is pulled from. */
export const CHARTS = {
  flannel: { repository: "https://flannel-io.github.io/flannel/", chart: "flannel", version: "v0.28.9" },
  linkerdCrds: { repository: "https://helm.linkerd.io/stable", chart: "linkerd-crds", version: "1.8.0" },
  linkerdControlPlane: { repository: "https://helm.linkerd.io/stable", chart: "linkerd-control-plane", version: "1.16.11" },
  kubePrometheusStack: {
    repository: "https://prometheus-community.github.io/helm-charts",
    chart: "kube-prometheus-stack",
    version: "88.5.3",
  },
  /**
   * Linkerd's Jaeger extension (trace collector, proxy-configuring injector,
   * Jaeger all-in-one): the chart version released with stable-2.14.10
   * (jaeger/charts/linkerd-jaeger/Chart.yaml at that tag).
   */
  linkerdJaeger: { repository: "https://helm.linkerd.io/stable", chart: "linkerd-jaeger", version: "30.12.11" },
  /**
   * Log store: Grafana Loki 3.6 in single-binary mode on a volume
   * (production/helm/loki in grafana/loki at tag helm-loki-7.3.0),
   * published in Grafana's chart repository.
   */
  loki: { repository: "https://grafana.github.io/helm-charts", chart: "loki", version: "7.3.0" },
  /** Log agent: Fluent Bit 5.1 as a DaemonSet (charts/fluent-bit in fluent/helm-charts at tag fluent-bit-0.58.1). */
  fluentBit: { repository: "https://fluent.github.io/helm-charts", chart: "fluent-bit", version: "0.58.1" },
  /**
   * The persistent-volume provisioner. 2.53.0 (driver v1.53.0, Nov 2025) is the
   * last release made while Kubernetes 1.28 was still supported (EKS extended
   * support ended 2025-11-26; the driver supports the versions Kubernetes or
   * EKS support).
   */
  awsEbsCsiDriver: {
    repository: "https://kubernetes-sigs.github.io/aws-ebs-csi-driver",
    chart: "aws-ebs-csi-driver",
    version: "2.53.0",
  },
} as const;

/** The Linkerd release the charts above install (for docs, checks and dashboards). */
export const LINKERD = {
  version: "stable-2.14.10",
} as const;

/**
 * Grafana.com dashboards for Linkerd, at the revisions Linkerd stable-2.14.10
 * pins in its own Grafana values (grafana/values.yaml at that tag). Without a
 * revision the Grafana chart fetches revision 1.
 *
 * Two that Linkerd pins are not shipped, since they cannot show data here
 * (their queries, grafana/dashboards/*.json at that tag):
 * - "Kubernetes" (15479 r2): every panel filters cAdvisor series on
 *   `kubernetes_io_hostname`, a label only Linkerd's old Prometheus job
 *   added, and several panels read Docker (`name`), rkt and systemd-service
 *   series a containerd kubelet never exports; kube-prometheus-stack ships
 *   its own node and pod compute dashboards.
 * - "Route" (15481 r3): reads `route_*` series, which proxies export only
 *   for ServiceProfile routes; and a ServiceProfile with routes replaces the
 *   2.14 policy router, which would bypass the HTTPRoute traffic split.
 */
export const LINKERD_DASHBOARDS = {
  "linkerd-top-line": { gnetId: 15474, revision: 4 },
  "linkerd-deployment": { gnetId: 15475, revision: 6 },
  "linkerd-pod": { gnetId: 15477, revision: 3 },
  "linkerd-namespace": { gnetId: 15478, revision: 3 },
  "linkerd-service": { gnetId: 15480, revision: 3 },
  "linkerd-authority": { gnetId: 15482, revision: 3 },
  "linkerd-health": { gnetId: 15486, revision: 3 },
} as const;

/** Container images that are not pinned by a chart. */
export const IMAGES = {
  /** Istio's Bookinfo sample (release-1.20 manifests use these tags). */
  bookinfo: {
    registry: "docker.io/istio",
    tag: "1.18.0",
  },
  /** Load client for the continuous traffic generator and the mesh-overhead benchmark. */
  fortio: "fortio/fortio:1.69.5",
  /** Shell (sh, wget, awk) for the mesh-overhead benchmark's runner; fortio's image has none. */
  busybox: "docker.io/library/busybox:1.36.1",
  /**
   * Kubernetes' pause image (kubeadm 1.28's sandbox image), run by the
   * platform's node-readiness gate: one tiny pod per node.
   */
  pause: "registry.k8s.io/pause:3.9",
} as const;

/**
 * The oldest Terraform CLI the stacks accept (their `required_version`):
 * 1.10 brought the S3 backend's native state locking (`use_lockfile`).
 */
export const TERRAFORM_CLI = { minimumVersion: "1.10.0" } as const;

/** Terraform providers, as pinned by the prebuilt @cdktf/provider-* packages (for docs). */
export const TERRAFORM_PROVIDERS = {
  aws: "6.25.0",
  helm: "3.1.1",
  kubernetes: "2.38.0",
  tls: "4.1.0",
  random: "3.7.2",
  http: "3.5.0",
  time: "0.13.1",
} as const;

/** `1.28.15` → `1.28`. */
export function kubernetesMinor(version: string): string {
  const [major, minor] = version.split(".");
  return `${major}.${minor}`;
}
