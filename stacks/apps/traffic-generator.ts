/**
 * The continuous traffic generator: a meshed fortio Deployment calling
 * productpage through its Service at the configured rate, forever, so
 * dashboards and SLO rules always have live traffic. Its ServiceAccount is
 * its mesh identity, the one productpage's policy lets in.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Config } from "../../lib/config";
import { PORTS } from "../../lib/ports";
import { TRAFFIC_GENERATOR } from "../../lib/k8s-names";
import { appLabels } from "./labels";
import { FORTIO_UID } from "./pod-security";
import { Workload } from "./workload";

/** In-cluster URL of a namespace's productpage. */
export function productpageUrl(namespace: string): string {
  return `http://productpage.${namespace}:${PORTS.bookinfoHttp.port}/productpage`;
}

/** How long fortio waits for an answer before it gives a request up. */
export const TRAFFIC_TIMEOUT_SECONDS = 5;

/**
 * fortio's connections: enough that the configured rate holds even when every
 * request waits the whole timeout (a hung productpage). Each connection sends
 * one request at a time, so fewer would slow the traffic down exactly when
 * productpage stops answering, and the SLO would see fewer failed calls.
 */
export function trafficConnections(requestsPerSecond: number): number {
  return Math.max(2, Math.ceil(requestsPerSecond * TRAFFIC_TIMEOUT_SECONDS));
}

/** fortio arguments: constant rate, no end, keep going through errors (e.g. while productpage starts). */
export function trafficGeneratorArgs(config: Config, namespace: string): string[] {
  return [
    "load",
    "-qps", String(config.apps.trafficRequestsPerSecond),
    "-t", "0",
    "-c", String(trafficConnections(config.apps.trafficRequestsPerSecond)),
    "-timeout", `${TRAFFIC_TIMEOUT_SECONDS}s`,
    "-allow-initial-errors",
    "-loglevel", "Warning",
    productpageUrl(namespace),
  ];
}

export interface TrafficGeneratorProps {
  readonly config: Config;
  readonly provider: KubernetesProvider;
  readonly namespace: string;
  /** What the Deployment waits for (the authorization policy that admits its calls). */
  readonly dependsOn?: ITerraformDependable[];
}

export class TrafficGenerator extends Construct {
  readonly workload: Workload;

  constructor(scope: Construct, id: string, props: TrafficGeneratorProps) {
    super(scope, id);
    const sa = new ServiceAccountV1(this, "sa", {
      provider: props.provider,
      metadata: { name: TRAFFIC_GENERATOR.serviceAccount, namespace: props.namespace, labels: appLabels(TRAFFIC_GENERATOR.deployment) },
    });
    this.workload = new Workload(this, "workload", {
      provider: props.provider,
      namespace: props.namespace,
      name: TRAFFIC_GENERATOR.deployment,
      labels: { app: TRAFFIC_GENERATOR.deployment, version: "v1", component: "load-generator" },
      serviceAccountName: sa.metadata.name,
      image: props.config.versions.fortioImage,
      args: trafficGeneratorArgs(props.config, TRAFFIC_GENERATOR.namespace),
      runAsUser: FORTIO_UID,
      resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
  }
}
