/**
 * Distributed tracing: Linkerd's Jaeger extension (linkerd-jaeger chart).
 *
 * - The injector (a mutating webhook) adds the collector's address to every
 *   meshed proxy created after it (`LINKERD2_PROXY_TRACE_COLLECTOR_SVC_ADDR`,
 *   jaeger/injector/mutator/patch.go at stable-2.14.10); pods that exist
 *   before it need a restart to report spans.
 * - A proxy never starts or samples a trace: it reports a span only for a
 *   request that arrives with a sampled trace context, and joins that trace.
 *   Bookinfo's productpage samples every request it serves and forwards the
 *   context to details and reviews (reviews to ratings); the traffic
 *   generator sends none, so every trace begins at productpage.
 * - The one place a rate can be applied is the collector's pipeline: the
 *   OpenTelemetry Collector's probabilistic sampler (part of the core
 *   distribution the chart runs, 0.59.0) keeps a fixed share of trace ids, so
 *   a trace is kept or dropped whole. productpage's own sampler is fixed in
 *   its code (a constant "always" sampler), so the app offers no setting.
 * - Jaeger all-in-one keeps spans in memory only, bounded by a number of
 *   traces (`--memory.max-traces`); a restart empties it.
 *
 * The collector receives only OpenCensus, the protocol the proxies speak;
 * the chart's other receivers (OTLP, Zipkin, Jaeger) are left out of its
 * configuration, so nothing listens on those ports.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { stringify } from "yaml";
import type { Config } from "../../lib/config";
import { CHARTS } from "../../lib/versions";
import { PORTS } from "../../lib/ports";
import { JAEGER_OBJECTS, NAMESPACES, RELEASES } from "../../lib/k8s-names";
import { ChartRelease } from "./helm-release";
import { PrivilegedNamespace } from "./privileged-namespace";

/**
 * Labels of the extension's namespace: the one the Linkerd CLI would create
 * (templates/namespace.yaml renders only for the CLI). Pod Security stays
 * privileged: the meshed pods' linkerd-init rewrites iptables. The chart's
 * post-install `namespace-metadata` Job (linkerd/linkerd-extension-init)
 * patches in exactly these two labels (privileged without the CNI plugin),
 * so it leaves Terraform nothing to undo.
 */
export const JAEGER_NAMESPACE_LABELS = { "linkerd.io/extension": "jaeger" } as const;

/** Collector memory: the limiter starts refusing spans this far below the container's limit. */
const COLLECTOR_MEMORY_LIMIT_MIB = 256;
const COLLECTOR_MEMORY_HEADROOM_MIB = 56;

/**
 * Requests and limits of the extension's containers, in the chart's
 * resource shape (cpu/memory → request/limit, as partials.resources reads
 * it). Their proxies take the control plane's proxy defaults.
 */
export const TRACING_RESOURCES = {
  collector: { cpu: { request: "50m", limit: "" }, memory: { request: "64Mi", limit: `${COLLECTOR_MEMORY_LIMIT_MIB}Mi` } },
  jaeger: { cpu: { request: "50m", limit: "" }, memory: { request: "256Mi", limit: "1Gi" } },
  webhook: { cpu: { request: "10m", limit: "" }, memory: { request: "32Mi", limit: "128Mi" } },
} as const;

/** `host:port` of the collector's OpenCensus receiver, as the injector hands it to the proxies. */
export function collectorAddress(): string {
  return `${JAEGER_OBJECTS.collectorService}.${NAMESPACES.linkerdJaeger}:${PORTS.traceCollectorOpencensus.port}`;
}

/** The OpenTelemetry Collector configuration (0.59.0 core distribution). */
export function collectorConfig(config: Config) {
  return {
    receivers: {
      opencensus: { endpoint: `0.0.0.0:${PORTS.traceCollectorOpencensus.port}` },
    },
    processors: {
      memory_limiter: {
        check_interval: "1s",
        limit_mib: COLLECTOR_MEMORY_LIMIT_MIB - COLLECTOR_MEMORY_HEADROOM_MIB,
        spike_limit_mib: COLLECTOR_MEMORY_HEADROOM_MIB,
      },
      probabilistic_sampler: { sampling_percentage: config.platform.tracing.samplingPercentage },
      batch: {},
    },
    extensions: { health_check: {} },
    exporters: {
      jaeger: {
        endpoint: `${JAEGER_OBJECTS.jaegerService}.${NAMESPACES.linkerdJaeger}:${PORTS.jaegerCollectorGrpc.port}`,
        tls: { insecure: true },
      },
    },
    service: {
      extensions: ["health_check"],
      pipelines: {
        traces: {
          receivers: ["opencensus"],
          processors: ["memory_limiter", "probabilistic_sampler", "batch"],
          exporters: ["jaeger"],
        },
      },
    },
  };
}

/** linkerd-jaeger chart values. */
export function linkerdJaegerValues(config: Config) {
  return {
    linkerdNamespace: NAMESPACES.linkerd,
    collector: {
      resources: TRACING_RESOURCES.collector,
      config: stringify(collectorConfig(config), { lineWidth: 0 }),
    },
    jaeger: {
      resources: TRACING_RESOURCES.jaeger,
      args: [`--query.base-path=${JAEGER_OBJECTS.basePath}`, `--memory.max-traces=${config.platform.tracing.maxTraces}`],
    },
    webhook: {
      collectorSvcAddr: collectorAddress(),
      collectorSvcAccount: JAEGER_OBJECTS.collectorServiceAccount,
      resources: TRACING_RESOURCES.webhook,
    },
  };
}

/** Grafana's Jaeger datasource (provisioned from kube-prometheus-stack's values into its datasource ConfigMap). */
export const GRAFANA_JAEGER_DATASOURCE = { name: "Jaeger", uid: "jaeger" } as const;

/** The in-cluster URL of Jaeger's query API, as Grafana reaches it. */
export function jaegerQueryUrl(): string {
  return `http://${JAEGER_OBJECTS.jaegerService}.${NAMESPACES.linkerdJaeger}.svc:${PORTS.jaegerQuery.port}${JAEGER_OBJECTS.basePath}`;
}

export function grafanaJaegerDatasource() {
  return {
    name: GRAFANA_JAEGER_DATASOURCE.name,
    uid: GRAFANA_JAEGER_DATASOURCE.uid,
    type: "jaeger",
    access: "proxy",
    url: jaegerQueryUrl(),
    editable: false,
  };
}

export interface TracingProps {
  readonly config: Config;
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;
  /** The Linkerd control plane: it meshes the extension's pods and issues their identities. */
  readonly dependsOn: ITerraformDependable[];
}

export class Tracing extends Construct {
  readonly release: ChartRelease;

  constructor(scope: Construct, id: string, props: TracingProps) {
    super(scope, id);
    const { config } = props;
    const namespace = new PrivilegedNamespace(this, "namespace", {
      provider: props.kubernetes,
      name: NAMESPACES.linkerdJaeger,
      labels: JAEGER_NAMESPACE_LABELS,
      dependsOn: props.dependsOn,
    });
    this.release = new ChartRelease(this, "linkerd-jaeger", {
      provider: props.helm,
      name: RELEASES.linkerdJaeger,
      source: CHARTS.linkerdJaeger,
      version: config.versions.linkerdJaegerChart,
      namespace: namespace.name,
      values: linkerdJaegerValues(config),
      timeoutSeconds: config.platform.helmTimeoutSeconds,
      dependsOn: [namespace.namespace],
    });
  }
}
