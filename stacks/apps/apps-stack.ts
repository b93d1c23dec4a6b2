/**
 * The apps stack: Bookinfo meshed, its traffic, its policy and its SLOs.
 *
 *   bookinfo namespace (inject enabled, default-deny inbound)
 *   → ServiceAccounts, Services, Deployments; the traffic generator
 *   → HTTPRoute (reviews split), Servers / authentications / policies,
 *     PrometheusRule (SLO rules and alerts)
 *   → (opt-in) the mesh-overhead benchmark and its unmeshed baseline copy
 *
 * It is planned after the platform stack is applied: the Linkerd policy and
 * Prometheus Operator kinds are custom resources (`kubernetes_manifest`
 * needs their CRDs at plan time), and the namespace must be created after
 * Linkerd's proxy injector is Ready (it reads the control plane's output). So `cdktf diff apps` on an empty
 * account fails until `platform` is deployed; `cdktf deploy '*'` orders it.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { Config } from "../../lib/config";
import { ProjectStack, STACK_NAMES } from "../../lib/stack-base";
import { kubeProviders } from "../../lib/kube-providers";
import { NAMESPACES } from "../../lib/k8s-names";
import { callGraph, expectedEdges, GRAPH_NODES, type Edge } from "../../lib/bookinfo-graph";
import { sloRuleGroups } from "../../lib/alerting/slo";
import type { ClusterOutputs } from "../cluster/outputs";
import type { PlatformOutputs } from "../platform/outputs";
import { AppNamespace } from "./namespace";
import { NextSteps } from "./next-steps";
import { Bookinfo, BOOKINFO_PORT_NAME } from "./bookinfo";
import { TrafficGenerator } from "./traffic-generator";
import { reviewsRoute } from "./traffic-split";
import { authorizationObjects, meshIdentity, type ServedApp } from "./authorization";
import { prometheusRule } from "./slo-rules";
import { BENCHMARK, benchmarkEdges, MeshBenchmark } from "./benchmark";
import { manifest } from "./manifest";
import { jaegerQueryAuthorization } from "./tracing-policy";

/** Who calls whom in the apps stack: Bookinfo's graph, plus the benchmark's clients when enabled. */
export interface AppsGraph {
  /** Every edge authorization allows. */
  readonly callEdges: Edge[];
  /** Edges that should carry traffic continuously with the current weights. */
  readonly expectedEdges: Edge[];
  /** Deployment (or Job) → the ServiceAccount its pods run as. */
  readonly serviceAccountOf: Record<string, string>;
  /** Deployment → the `app` label its Server selects (the Service it serves). */
  readonly appOf: Record<string, string>;
  /** Deployment (or Job) → the mesh identity of its pods (what policy and `client_id` labels name). */
  readonly meshIdentityOf: Record<string, string>;
}

export function appsGraph(config: Config): AppsGraph {
  const serviceAccountOf: Record<string, string> = Object.fromEntries(GRAPH_NODES.map((n) => [n.deployment, n.serviceAccount]));
  const appOf: Record<string, string> = Object.fromEntries(
    GRAPH_NODES.filter((n) => n.service !== undefined).map((n) => [n.deployment, n.service as string]),
  );
  const callEdges = [...callGraph()];
  if (config.apps.benchmark.enabled) {
    callEdges.push(...benchmarkEdges());
    serviceAccountOf[BENCHMARK.job] = BENCHMARK.job;
    serviceAccountOf[BENCHMARK.meshedClient] = BENCHMARK.meshedClient;
    appOf[BENCHMARK.meshedClient] = BENCHMARK.meshedClient;
  }
  const meshIdentityOf = Object.fromEntries(Object.entries(serviceAccountOf).map(([d, sa]) => [d, meshIdentity(sa, NAMESPACES.bookinfo)]));
  return { callEdges, expectedEdges: expectedEdges(config.apps.reviewsWeights), serviceAccountOf, appOf, meshIdentityOf };
}

/** The served apps and who may call each, from the graph's edges. */
export function servedApps(graph: AppsGraph): ServedApp[] {
  const byApp = new Map<string, Set<string>>();
  for (const app of new Set(Object.values(graph.appOf))) byApp.set(app, new Set());
  for (const e of graph.callEdges) {
    const app = graph.appOf[e.to];
    const sa = graph.serviceAccountOf[e.from];
    if (!app || !sa) throw new Error(`edge ${e.from} → ${e.to} names a workload the apps stack does not know`);
    byApp.get(app)?.add(sa);
  }
  return [...byApp.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([app, callers]) => ({
      app,
      portName: BOOKINFO_PORT_NAME,
      callers: [...callers].sort(),
      fromClusterNetworks: app === "productpage",
    }));
}

export class AppsStack extends ProjectStack {
  readonly graph: AppsGraph;

  constructor(scope: Construct, config: Config, cluster: ClusterOutputs, platform?: PlatformOutputs) {
    super(scope, STACK_NAMES.apps, config);
    const { kubernetes: provider } = kubeProviders(this, cluster, { helm: false });
    this.graph = appsGraph(config);
    const tracingNamespace = config.platform.tracing.enabled ? (platform?.tracingNamespace ?? NAMESPACES.linkerdJaeger) : undefined;

    // Named after the platform's Linkerd output: the namespace is created only
    // once the proxy injector is Ready, so no Bookinfo pod starts unmeshed.
    const ns = new AppNamespace(this, "bookinfo-namespace", {
      provider,
      name: NAMESPACES.bookinfo,
      meshed: true,
      controlPlaneNamespace: platform?.linkerdNamespace ?? NAMESPACES.linkerd,
      // Likewise after the trace injector, so every Bookinfo proxy reports spans.
      ...(tracingNamespace === undefined ? {} : { traceInjectorNamespace: tracingNamespace }),
    });

    // The namespace denies by default: the policy comes first, so the workloads'
    // first calls are already authorized.
    const after: ITerraformDependable[] = [ns.namespace];
    const policy = authorizationObjects({
      namespace: NAMESPACES.bookinfo,
      apps: servedApps(this.graph),
      clusterNetworks: [config.cluster.podCidr, config.network.vpcCidr],
    });
    const policyObjects = policy.map((o) => manifest(this, `policy-${o.kind.toLowerCase()}-${o.metadata.name}`, provider, o, after));

    const bookinfo = new Bookinfo(this, "bookinfo", {
      config,
      provider,
      namespace: ns.name,
      productpageNodePort: config.nodePorts.bookinfo,
      dependsOn: policyObjects,
      // Log lines that link to traces: only worth it when both are collected.
      traceAccessLog: config.platform.tracing.enabled && config.platform.logs.enabled,
    });
    // Traffic starts once every Bookinfo Deployment has rolled out (Terraform waits
    // for each rollout), so a first deploy sends no call into a half-started app.
    const bookinfoDeployments = Object.values(bookinfo.workloads).map((w) => w.deployment);
    const generator = new TrafficGenerator(this, "traffic-generator", {
      config,
      provider,
      namespace: ns.name,
      dependsOn: [...policyObjects, ...bookinfoDeployments],
    });

    manifest(this, "reviews-route", provider, reviewsRoute(config, NAMESPACES.bookinfo), [...after, ...Object.values(bookinfo.versionServices)]);

    // The rules live next to Prometheus. Reading the platform's output orders
    // them after kube-prometheus-stack (the PrometheusRule CRD and the Operator).
    // They are created after every workload has rolled out, so a first deploy's
    // image pulls happen before any rule looks.
    const ruleNamespace = platform?.monitoringNamespace ?? NAMESPACES.monitoring;
    manifest(this, "slo-rules", provider, prometheusRule(ruleNamespace, sloRuleGroups(config, this.graph)), [
      ...bookinfoDeployments,
      generator.workload.deployment,
    ]);

    // Grafana's Jaeger datasource: the one new authorization tracing needs.
    if (tracingNamespace !== undefined) {
      for (const o of jaegerQueryAuthorization(tracingNamespace, [config.cluster.podCidr, config.network.vpcCidr])) {
        manifest(this, `tracing-${o.kind.toLowerCase()}-${o.metadata.name}`, provider, o, []);
      }
    }

    // Last in the deploy's output: where to go and what to run next.
    new NextSteps(this, "next-steps", { config, apiServerUrl: cluster.apiServerUrl });

    if (config.apps.benchmark.enabled) {
      new MeshBenchmark(this, "benchmark", {
        config,
        provider,
        meshedNamespace: ns.name,
        meshedNamespaceName: NAMESPACES.bookinfo,
        baselineNamespaceName: NAMESPACES.bookinfoBaseline,
        dependsOn: [...policyObjects, ...Object.values(bookinfo.workloads).map((w) => w.deployment)],
      });
    }
  }
}
