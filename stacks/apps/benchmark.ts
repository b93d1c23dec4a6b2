/**
 * The opt-in mesh-overhead benchmark (config.apps.benchmark.enabled):
 *
 * - an unmeshed copy of the whole of Bookinfo in its own namespace (so
 *   "every Bookinfo pod is meshed" and default-deny stay true in `bookinfo`);
 * - two fortio load clients running fortio's server (REST API): a meshed one
 *   in `bookinfo`, whose mesh identity productpage's policy lets in, and an
 *   unmeshed one next to the baseline copy;
 * - a Job, meshed, whose runner asks each client in turn for the same load
 *   (rate, duration, connections from config) and prints both results side
 *   by side with the overhead in percent:
 *   `kubectl -n bookinfo logs job/mesh-benchmark -c runner`.
 *
 * The Job runs once when created; to run it again, delete it and deploy.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { terraformLiteral } from "../../lib/terraform-json";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { JobV1 } from "@cdktf/provider-kubernetes/lib/job-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Config } from "../../lib/config";
import type { Edge } from "../../lib/bookinfo-graph";
import { BOOKINFO } from "../../lib/k8s-names";
import { PORTS } from "../../lib/ports";
import { IMAGES } from "../../lib/versions";
import { Bookinfo } from "./bookinfo";
import { AppNamespace } from "./namespace";
import { appLabels, workloadLabels } from "./labels";
import { containerSecurityContext, FORTIO_UID, podSecurityContext } from "./pod-security";
import { productpageUrl } from "./traffic-generator";
import { Workload } from "./workload";

export const BENCHMARK = {
  /** The meshed load client (fortio server) and its ServiceAccount, in the bookinfo namespace. */
  meshedClient: "mesh-benchmark-client",
  /** The unmeshed load client, in the baseline namespace. */
  baselineClient: "baseline-benchmark-client",
  /** The Job (and its ServiceAccount) that runs both and reports. */
  job: "mesh-benchmark",
  runnerContainer: "runner",
  portName: "http",
} as const;

/** The runner script, read at synth time (it lands in a ConfigMap). */
export const BENCHMARK_SCRIPT_PATH = path.join(__dirname, "benchmark", "mesh-benchmark.sh");

const SCRIPT_MOUNT = "/opt/benchmark";
const RUNNER_UID = 65534;

/** The calls the benchmark adds to the graph: runner → meshed client → productpage. */
export function benchmarkEdges(): Edge[] {
  return [
    { from: BENCHMARK.job, to: BENCHMARK.meshedClient },
    { from: BENCHMARK.meshedClient, to: BOOKINFO.deployments.productpage },
  ];
}

function fortioBase(service: string, namespace: string): string {
  return `http://${service}.${namespace}:${PORTS.fortioHttp.port}`;
}

/** The runner's environment: where to send load, and how much (all from config). */
export function benchmarkEnv(config: Config, meshedNamespace: string, baselineNamespace: string): Record<string, string> {
  const b = config.apps.benchmark;
  return {
    MESHED_CLIENT: fortioBase(BENCHMARK.meshedClient, meshedNamespace),
    BASELINE_CLIENT: fortioBase(BENCHMARK.baselineClient, baselineNamespace),
    MESHED_TARGET: productpageUrl(meshedNamespace),
    BASELINE_TARGET: productpageUrl(baselineNamespace),
    QPS: String(b.requestsPerSecond),
    DURATION: String(b.durationSeconds),
    CONNECTIONS: String(b.connections),
    PROXY_ADMIN: `http://localhost:${PORTS.linkerdProxyAdmin.port}`,
    RESULTS_DIR: "/tmp",
  };
}

/** fortio's server with only its HTTP (REST) port open. */
export const FORTIO_SERVER_ARGS = [
  "server",
  "-http-port", String(PORTS.fortioHttp.port),
  "-grpc-port", "disabled",
  "-redirect-port", "disabled",
  "-tcp-port", "disabled",
  "-udp-port", "disabled",
];

export interface MeshBenchmarkProps {
  readonly config: Config;
  readonly provider: KubernetesProvider;
  /** The meshed Bookinfo namespace (a reference, so objects wait for it). */
  readonly meshedNamespace: string;
  readonly meshedNamespaceName: string;
  readonly baselineNamespaceName: string;
  /** What must exist before the Job starts (the meshed app and its policy). */
  readonly dependsOn: ITerraformDependable[];
}

export class MeshBenchmark extends Construct {
  readonly baselineNamespace: AppNamespace;
  readonly baseline: Bookinfo;
  readonly job: JobV1;

  constructor(scope: Construct, id: string, props: MeshBenchmarkProps) {
    super(scope, id);
    const { config, provider } = props;
    const fortioResources = { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } };

    this.baselineNamespace = new AppNamespace(this, "baseline-namespace", { provider, name: props.baselineNamespaceName, meshed: false });
    this.baseline = new Bookinfo(this, "baseline", { config, provider, namespace: this.baselineNamespace.name });

    const client = (cid: string, name: string, namespace: string): Workload => {
      const sa = new ServiceAccountV1(this, `${cid}-sa`, { provider, metadata: { name, namespace, labels: appLabels(name) } });
      new ServiceV1(this, `${cid}-svc`, {
        provider,
        metadata: { name, namespace, labels: appLabels(name) },
        spec: {
          selector: { app: name },
          port: [{ name: BENCHMARK.portName, port: PORTS.fortioHttp.port, targetPort: BENCHMARK.portName, protocol: "TCP" }],
        },
      });
      return new Workload(this, cid, {
        provider,
        namespace,
        name,
        labels: { app: name, version: "v1", component: "load-generator" },
        serviceAccountName: sa.metadata.name,
        image: config.versions.fortioImage,
        args: FORTIO_SERVER_ARGS,
        port: { name: BENCHMARK.portName, containerPort: PORTS.fortioHttp.port },
        readinessPath: "/fortio/",
        runAsUser: FORTIO_UID,
        resources: fortioResources,
      });
    };
    const meshedClient = client("meshed-client", BENCHMARK.meshedClient, props.meshedNamespace);
    const baselineClient = client("baseline-client", BENCHMARK.baselineClient, this.baselineNamespace.name);

    const script = new ConfigMapV1(this, "script", {
      provider,
      metadata: { name: BENCHMARK.job, namespace: props.meshedNamespace, labels: appLabels(BENCHMARK.job) },
      // Carried so that Terraform does not read the script's "${VAR}"s as its own interpolations.
      data: { "mesh-benchmark.sh": terraformLiteral(readFileSync(BENCHMARK_SCRIPT_PATH, "utf8")) },
    });
    const sa = new ServiceAccountV1(this, "job-sa", {
      provider,
      metadata: { name: BENCHMARK.job, namespace: props.meshedNamespace, labels: appLabels(BENCHMARK.job) },
    });

    const labels = workloadLabels({ app: BENCHMARK.job, version: "v1", component: "benchmark" });
    this.job = new JobV1(this, "job", {
      provider,
      dependsOn: [...props.dependsOn, meshedClient.deployment, baselineClient.deployment, ...Object.values(this.baseline.workloads).map((w) => w.deployment)],
      metadata: { name: BENCHMARK.job, namespace: props.meshedNamespace, labels },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: "Never",
            serviceAccountName: sa.metadata.name,
            securityContext: podSecurityContext(RUNNER_UID),
            container: [
              {
                name: BENCHMARK.runnerContainer,
                image: IMAGES.busybox,
                command: ["sh", `${SCRIPT_MOUNT}/mesh-benchmark.sh`],
                env: Object.entries(benchmarkEnv(config, props.meshedNamespaceName, props.baselineNamespaceName)).map(([name, value]) => ({ name, value })),
                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
                securityContext: containerSecurityContext(RUNNER_UID),
                volumeMount: [
                  { name: "script", mountPath: SCRIPT_MOUNT, readOnly: true },
                  { name: "results", mountPath: "/tmp" },
                ],
              },
            ],
            volume: [
              { name: "script", configMap: { name: script.metadata.name } },
              { name: "results", emptyDir: {} },
            ],
          },
        },
      },
      // The benchmark takes two runs of the configured duration; Terraform does not wait for it.
      waitForCompletion: false,
    });
  }
}
