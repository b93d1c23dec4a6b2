/**
 * Centralized logs: Fluent Bit on every node (control plane included) reads
 * every container's log file and pushes the lines to Loki, labelled with
 * namespace, pod and container; Grafana searches them.
 *
 * Why Loki and not Elasticsearch/Kibana, in numbers: docs/logs.md. Loki runs
 * as one process (single-binary mode) with its chunks and index on an EBS
 * volume of the platform's StorageClass, deleted with its claim; S3 would
 * need pod credentials (workload identity), which this cluster does not
 * provide yet. Its compactor deletes lines older than the retention.
 *
 * The chart's extras are off: the memcached caches (their default memory
 * request alone is about 11 GiB), the gateway, the canary DaemonSet and the
 * test pod.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Config } from "../../lib/config";
import { CHARTS } from "../../lib/versions";
import { PORTS } from "../../lib/ports";
import { NAMESPACES, RELEASES } from "../../lib/k8s-names";
import { STORAGE_CLASS } from "../../lib/storage";
import { ChartRelease } from "./helm-release";
import { NO_MESH, PrivilegedNamespace } from "./privileged-namespace";
import { GRAFANA_JAEGER_DATASOURCE } from "./tracing";

/** Requests and limits (Kubernetes shape) of the logging pods. */
export const LOGGING_RESOURCES = {
  loki: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
  fluentBit: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
} as const;

/** Stream labels every log line carries in Loki (besides `job`). */
export const LOG_STREAM_LABELS = ["namespace", "pod", "container", "stream"] as const;

/** The `job` label of the lines Fluent Bit ships. */
export const LOG_JOB = "fluent-bit";

/** The date Loki's schema starts at: before any deploy of this project, so it covers every line. */
export const LOKI_SCHEMA_FROM = "2024-01-01";

/** The Service the chart creates for the single binary (its release name), and its in-cluster URL. */
export function lokiUrl(): string {
  return `http://${RELEASES.loki}.${NAMESPACES.logging}.svc:${PORTS.lokiHttp.port}`;
}

/** Loki chart values. */
export function lokiValues(config: Config) {
  const { logs } = config.platform;
  return {
    deploymentMode: "SingleBinary",
    loki: {
      // One tenant: Fluent Bit and Grafana send no X-Scope-OrgID.
      auth_enabled: false,
      commonConfig: { replication_factor: 1 },
      storage: { type: "filesystem" },
      schemaConfig: {
        configs: [
          {
            from: LOKI_SCHEMA_FROM,
            store: "tsdb",
            object_store: "filesystem",
            schema: "v13",
            index: { prefix: "index_", period: "24h" },
          },
        ],
      },
      limits_config: { retention_period: `${logs.retentionDays * 24}h` },
      compactor: { retention_enabled: true, delete_request_store: "filesystem" },
      // No usage reports to grafana.com.
      analytics: { reporting_enabled: false },
    },
    singleBinary: {
      replicas: 1,
      resources: LOGGING_RESOURCES.loki,
      persistence: {
        enabled: true,
        storageClass: STORAGE_CLASS.name,
        size: `${logs.volumeGiB}Gi`,
        // Deleting the StatefulSet (an uninstall) deletes the claim, and so the EBS volume.
        enableStatefulSetAutoDeletePVC: true,
        whenDeleted: "Delete",
        whenScaled: "Delete",
      },
    },
    read: { replicas: 0 },
    write: { replicas: 0 },
    backend: { replicas: 0 },
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
    gateway: { enabled: false },
    lokiCanary: { enabled: false },
    test: { enabled: false },
    // No rules sidecar: it would read ConfigMaps and Secrets across the
    // cluster for alerting rules this project does not keep in Loki. With it
    // off, the chart's cluster role grants nothing.
    sidecar: { rules: { enabled: false } },
  };
}

/** Fluent Bit's pipeline (classic configuration sections, as the chart takes them). */
export function fluentBitPipeline() {
  const labels = [
    `job=${LOG_JOB}`,
    "namespace=$kubernetes['namespace_name']",
    "pod=$kubernetes['pod_name']",
    "container=$kubernetes['container_name']",
    "stream=$stream",
  ].join(", ");
  return {
    inputs: [
      "[INPUT]",
      "    Name tail",
      "    Path /var/log/containers/*.log",
      "    multiline.parser cri",
      "    Tag kube.*",
      "    Mem_Buf_Limit 5MB",
      "    Skip_Long_Lines On",
      "",
    ].join("\n"),
    filters: [
      "[FILTER]",
      "    Name kubernetes",
      "    Match kube.*",
      // Lines stay as the container wrote them (JSON ones too): the access
      // log's trace_id is found in the raw line.
      "    Merge_Log Off",
      "    Labels Off",
      "    Annotations Off",
      "",
    ].join("\n"),
    outputs: [
      "[OUTPUT]",
      "    Name loki",
      "    Match kube.*",
      `    Host ${RELEASES.loki}.${NAMESPACES.logging}.svc`,
      `    Port ${PORTS.lokiHttp.port}`,
      `    Labels ${labels}`,
      // What is left after the labels is the line itself, sent unquoted.
      "    Remove_Keys kubernetes, stream, _p",
      "    Drop_Single_Key raw",
      "    Line_Format key_value",
      "    Retry_Limit 10",
      "",
    ].join("\n"),
  };
}

/** The control plane's taint: the agent tolerates it, so the control plane's containers are collected too. */
export const CONTROL_PLANE_TAINT = { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" } as const;

/** Fluent Bit chart values. */
export function fluentBitValues() {
  const pipeline = fluentBitPipeline();
  return {
    kind: "DaemonSet",
    resources: LOGGING_RESOURCES.fluentBit,
    tolerations: [{ ...CONTROL_PLANE_TAINT }],
    metricsPort: PORTS.fluentBitMetrics.port,
    config: { inputs: pipeline.inputs, filters: pipeline.filters, outputs: pipeline.outputs },
    // containerd writes under /var/log/pods (linked from /var/log/containers); no Docker directory on these nodes.
    daemonSetVolumes: [{ name: "varlog", hostPath: { path: "/var/log" } }],
    daemonSetVolumeMounts: [{ name: "varlog", mountPath: "/var/log", readOnly: true }],
    testFramework: { enabled: false },
  };
}

/** Grafana's Loki datasource (provisioned from kube-prometheus-stack's values into its datasource ConfigMap). */
export const GRAFANA_LOKI_DATASOURCE = { name: "Loki", uid: "loki" } as const;

/**
 * The access log's trace id field, as the Linkerd proxy writes it in JSON
 * (linkerd2-proxy v2.210.4, linkerd/http-access-log: `trace_id`, taken from
 * the request's `x-b3-traceid`).
 */
export const ACCESS_LOG_TRACE_ID_REGEX = '"trace_id":"([0-9a-f]{16,32})"';

/**
 * Grafana's data-link variable holding the matched value. Terraform reads
 * `${` in configuration strings as an interpolation; `$${` is its escape.
 */
export const GRAFANA_MATCHED_VALUE = "$${__value.raw}";

/** The Loki datasource, with a link from an access-log line's trace id to Jaeger when tracing is on. */
export function grafanaLokiDatasource(config: Config) {
  const derivedFields = config.platform.tracing.enabled
    ? [{ name: "TraceID", matcherRegex: ACCESS_LOG_TRACE_ID_REGEX, datasourceUid: GRAFANA_JAEGER_DATASOURCE.uid, url: GRAFANA_MATCHED_VALUE }]
    : [];
  return {
    name: GRAFANA_LOKI_DATASOURCE.name,
    uid: GRAFANA_LOKI_DATASOURCE.uid,
    type: "loki",
    access: "proxy",
    url: lokiUrl(),
    editable: false,
    ...(derivedFields.length > 0 ? { jsonData: { derivedFields } } : {}),
  };
}

export interface LoggingProps {
  readonly config: Config;
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;
  /**
   * What the namespace is created after and deleted before: networked nodes,
   * the StorageClass and the destroy-time volume wait (deleting the namespace
   * deletes Loki's claim; the wait then sees its volume go).
   */
  readonly dependsOn: ITerraformDependable[];
}

export class Logging extends Construct {
  readonly loki: ChartRelease;
  readonly fluentBit: ChartRelease;

  constructor(scope: Construct, id: string, props: LoggingProps) {
    super(scope, id);
    const { config } = props;
    // Fluent Bit reads the nodes' /var/log: hostPath needs the privileged level.
    const namespace = new PrivilegedNamespace(this, "namespace", {
      provider: props.kubernetes,
      name: NAMESPACES.logging,
      annotations: NO_MESH,
      dependsOn: props.dependsOn,
      deleteTimeoutSeconds: config.platform.helmTimeoutSeconds,
    });
    this.loki = new ChartRelease(this, "loki", {
      provider: props.helm,
      name: RELEASES.loki,
      source: CHARTS.loki,
      version: config.versions.lokiChart,
      namespace: namespace.name,
      values: lokiValues(config),
      timeoutSeconds: config.platform.helmTimeoutSeconds,
      dependsOn: [namespace.namespace],
    });
    // The agent needs nothing of Loki to start: it retries until Loki answers.
    this.fluentBit = new ChartRelease(this, "fluent-bit", {
      provider: props.helm,
      name: RELEASES.fluentBit,
      source: CHARTS.fluentBit,
      version: config.versions.fluentBitChart,
      namespace: namespace.name,
      values: fluentBitValues(),
      timeoutSeconds: config.platform.helmTimeoutSeconds,
      dependsOn: [namespace.namespace],
    });
  }
}
