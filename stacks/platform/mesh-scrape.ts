/**
 * How Prometheus scrapes the mesh: two scrape jobs appended to
 * kube-prometheus-stack's Prometheus, named and labelled the way Linkerd's
 * own Prometheus (linkerd-viz, stable-2.14) does it, because Linkerd's
 * Grafana dashboards and the project's SLO rules query exactly these:
 *
 * - `linkerd-controller`: the control plane's admin ports (container port
 *   named `admin-http`) in the linkerd namespace; label `component` = the
 *   container name.
 * - `linkerd-proxy`: every Linkerd proxy's admin port (`linkerd-admin`) of
 *   pods that belong to this control plane; labels `namespace`, `pod`,
 *   `container`, each `linkerd.io/proxy-<kind>` pod label as `<kind>`
 *   (`deployment`, `statefulset`, ...; the Kubernetes Job's name as
 *   `k8s_job`, so it never clashes with Prometheus' `job`), and the other pod
 *   labels with any `linkerd.io/` prefix removed (`app`, `version`,
 *   `control_plane_ns`, ...).
 *
 * Plain scrape configs rather than PodMonitors: the job names come out
 * exactly as above (the Operator would name a PodMonitor's job
 * `<namespace>/<name>`), and nothing here needs a CRD to exist first.
 */
import type { Config } from "../../lib/config";
import { durationSeconds } from "../../lib/config";
import { LINKERD_JOBS, LINKERD_OBJECTS, NAMESPACES } from "../../lib/k8s-names";

/** Container port names Linkerd gives the ports Prometheus scrapes. */
export const LINKERD_METRICS_PORT_NAMES = {
  /** The proxy's admin port (PORTS.linkerdProxyAdmin). */
  proxy: "linkerd-admin",
  /** Each control-plane container's admin port. */
  controller: "admin-http",
} as const;

/** Labels every `linkerd-proxy` series carries besides `job` and `instance`. */
export const MESH_METRIC_LABELS = ["namespace", "pod", "container", "deployment"] as const;

export interface RelabelConfig {
  readonly source_labels?: readonly string[];
  readonly separator?: string;
  readonly regex?: string;
  readonly target_label?: string;
  readonly replacement?: string;
  readonly action?: "replace" | "keep" | "drop" | "labelmap" | "labeldrop" | "labelkeep";
}

export interface ScrapeConfig {
  readonly job_name: string;
  readonly scrape_interval: string;
  readonly scrape_timeout: string;
  readonly kubernetes_sd_configs: ReadonlyArray<{ readonly role: "pod"; readonly namespaces?: { readonly names: readonly string[] } }>;
  readonly relabel_configs: readonly RelabelConfig[];
}

const META_POD_LABEL = "__meta_kubernetes_pod_label_";
/** A label that lives only during relabelling (Prometheus drops `__` labels after it). */
const TMP_POD_LABEL = "__tmp_pod_label_";

/**
 * The scrape timeout of the mesh jobs: the interval itself. Prometheus
 * refuses a timeout longer than the interval; with 5 s or less between
 * scrapes, a slower answer is already stale.
 */
export function meshScrapeTimeout(config: Config): string {
  return `${durationSeconds(config.platform.monitoring.meshScrapeInterval)}s`;
}

export function meshScrapeConfigs(config: Config): ScrapeConfig[] {
  const interval = config.platform.monitoring.meshScrapeInterval;
  const timeout = meshScrapeTimeout(config);
  const copy = (source: string, target: string): RelabelConfig => ({ source_labels: [source], action: "replace", target_label: target });

  const controller: ScrapeConfig = {
    job_name: LINKERD_JOBS.controller,
    scrape_interval: interval,
    scrape_timeout: timeout,
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [NAMESPACES.linkerd] } }],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_pod_container_port_name"], action: "keep", regex: LINKERD_METRICS_PORT_NAMES.controller },
      copy("__meta_kubernetes_pod_container_name", "component"),
      copy("__meta_kubernetes_namespace", "namespace"),
      copy("__meta_kubernetes_pod_name", "pod"),
    ],
  };

  const proxy: ScrapeConfig = {
    job_name: LINKERD_JOBS.proxy,
    scrape_interval: interval,
    scrape_timeout: timeout,
    kubernetes_sd_configs: [{ role: "pod" }],
    relabel_configs: [
      // Only the proxy container's admin port, of pods meshed by this control plane.
      {
        source_labels: [
          "__meta_kubernetes_pod_container_name",
          "__meta_kubernetes_pod_container_port_name",
          `${META_POD_LABEL}linkerd_io_control_plane_ns`,
        ],
        action: "keep",
        regex: `^${LINKERD_OBJECTS.proxyContainer};${LINKERD_METRICS_PORT_NAMES.proxy};${NAMESPACES.linkerd}$`,
      },
      copy("__meta_kubernetes_namespace", "namespace"),
      copy("__meta_kubernetes_pod_name", "pod"),
      copy("__meta_kubernetes_pod_container_name", "container"),
      // linkerd.io/proxy-job names a Kubernetes Job: keep it away from `job`.
      copy(`${META_POD_LABEL}linkerd_io_proxy_job`, "k8s_job"),
      { action: "labeldrop", regex: `${META_POD_LABEL}linkerd_io_proxy_job` },
      // linkerd.io/proxy-deployment=x → deployment=x (and the other workload kinds).
      { action: "labelmap", regex: `${META_POD_LABEL}linkerd_io_proxy_(.+)` },
      { action: "labeldrop", regex: `${META_POD_LABEL}linkerd_io_proxy_(.+)` },
      // linkerd.io/<name>=x → <name>=x.
      { action: "labelmap", regex: `${META_POD_LABEL}linkerd_io_(.+)` },
      // Other pod labels, with a linkerd.io/ prefix removed where present.
      { action: "labelmap", regex: `${META_POD_LABEL}(.+)`, replacement: `${TMP_POD_LABEL}$1` },
      { action: "labelmap", regex: `${TMP_POD_LABEL}linkerd_io_(.+)`, replacement: `${TMP_POD_LABEL}$1` },
      { action: "labeldrop", regex: `${TMP_POD_LABEL}linkerd_io_(.+)` },
      { action: "labelmap", regex: `${TMP_POD_LABEL}(.+)` },
    ],
  };

  return [controller, proxy];
}
