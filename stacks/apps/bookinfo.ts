/**
 * The Bookinfo application in one namespace: ServiceAccounts
 * `bookinfo-<service>`, Services on the HTTP port (named `http`), one
 * Service per reviews version for the traffic split, and the Deployments.
 *
 * The same construct builds the meshed app and the benchmark's unmeshed
 * baseline copy; only the namespace (and so the injection setting) differs.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Config } from "../../lib/config";
import { PORTS } from "../../lib/ports";
import { IMAGES } from "../../lib/versions";
import { bookinfoServiceAccount } from "../../lib/k8s-names";
import { BOOKINFO_COMPONENTS, bookinfoImage, versionedName, type BookinfoService } from "./bookinfo-components";
import { appLabels, serviceSelector } from "./labels";
import { Workload } from "./workload";
import { LINKERD_ANNOTATIONS, TRACE_CONTEXT_RECEIVERS } from "./linkerd-annotations";

/** The name of the HTTP port on Bookinfo's Services and containers. */
export const BOOKINFO_PORT_NAME = "http";

export interface BookinfoProps {
  readonly config: Config;
  readonly provider: KubernetesProvider;
  readonly namespace: string;
  /** productpage's NodePort; absent: productpage is a ClusterIP Service. */
  readonly productpageNodePort?: number;
  /** What the Deployments wait for (the authorization policy, so no first request is denied). */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Turn on the proxies' JSON access log on the services that receive a
   * trace context (TRACE_CONTEXT_RECEIVERS), so their log lines carry trace ids.
   * @default false
   */
  readonly traceAccessLog?: boolean;
}

export class Bookinfo extends Construct {
  readonly services: Record<BookinfoService, ServiceV1>;
  readonly versionServices: Record<string, ServiceV1> = {};
  readonly workloads: Record<string, Workload> = {};

  constructor(scope: Construct, id: string, props: BookinfoProps) {
    super(scope, id);
    const { config, provider, namespace } = props;
    const port = PORTS.bookinfoHttp.port;
    const services = {} as Record<BookinfoService, ServiceV1>;

    for (const c of BOOKINFO_COMPONENTS) {
      const sa = new ServiceAccountV1(this, `${c.service}-sa`, {
        provider,
        metadata: { name: bookinfoServiceAccount(c.service), namespace, labels: appLabels(c.service) },
      });

      const nodePort = c.service === "productpage" ? props.productpageNodePort : undefined;
      services[c.service] = new ServiceV1(this, `${c.service}-svc`, {
        provider,
        metadata: { name: c.service, namespace, labels: appLabels(c.service) },
        spec: {
          type: nodePort === undefined ? "ClusterIP" : "NodePort",
          selector: serviceSelector(c.service),
          port: [{ name: BOOKINFO_PORT_NAME, port, targetPort: BOOKINFO_PORT_NAME, protocol: "TCP", ...(nodePort === undefined ? {} : { nodePort }) }],
        },
      });

      for (const version of c.versions) {
        const name = versionedName(c.service, version);
        this.workloads[name] = new Workload(this, name, {
          provider,
          namespace,
          name,
          labels: { app: c.service, version },
          serviceAccountName: sa.metadata.name,
          image: bookinfoImage(IMAGES.bookinfo.registry, c.service, version, config.versions.bookinfoImageTag),
          env: c.env,
          port: { name: BOOKINFO_PORT_NAME, containerPort: port },
          ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
          readinessPath: c.healthPath,
          readinessInitialDelaySeconds: c.initialDelaySeconds,
          scratch: c.scratch,
          runAsUser: c.runAsUser,
          resources: c.resources,
          ...(props.traceAccessLog && (TRACE_CONTEXT_RECEIVERS as readonly string[]).includes(c.service)
            ? { podAnnotations: { [LINKERD_ANNOTATIONS.accessLog]: "json" } }
            : {}),
        });
        if (c.versions.length > 1) {
          // One Service per version: the traffic split's backends.
          this.versionServices[name] = new ServiceV1(this, `${name}-svc`, {
            provider,
            metadata: { name, namespace, labels: appLabels(c.service) },
            spec: {
              type: "ClusterIP",
              selector: serviceSelector(c.service, version),
              port: [{ name: BOOKINFO_PORT_NAME, port, targetPort: BOOKINFO_PORT_NAME, protocol: "TCP" }],
            },
          });
        }
      }
    }
    this.services = services;
  }
}
