/**
 * Bookinfo as data: the istio release-1.20 sample's services, versions,
 * environment and scratch volumes, plus what the sample leaves out
 * (resources, probes, the user each image runs as).
 *
 * Users: from Bookinfo 1.18.0 on, the details, productpage and ratings
 * images declare `USER 1000`, and reviews runs as the Liberty base image's
 * user 1001. The pods set `runAsNonRoot` and the same numeric users, so the
 * kubelet can check them and nothing depends on the image metadata.
 *
 * Every service answers `GET /health` on its HTTP port; the readiness probes
 * use it (Linkerd authorizes kubelet probes on the probe paths by itself).
 */
import { BOOKINFO } from "../../lib/k8s-names";
import { REVIEWS_VERSIONS } from "../../lib/bookinfo-graph";

export type BookinfoService = (typeof BOOKINFO.services)[number];

export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface BookinfoComponent {
  readonly service: BookinfoService;
  readonly versions: readonly string[];
  /** Extra environment variables (the sample's). */
  readonly env: Readonly<Record<string, string>>;
  /** emptyDir volumes: name → mount path (the sample's). */
  readonly scratch: Readonly<Record<string, string>>;
  readonly runAsUser: number;
  readonly resources: Resources;
  readonly healthPath: string;
  /** Seconds before the first readiness probe (Liberty starts slowly). */
  readonly initialDelaySeconds: number;
}

const small: Resources = { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } };

export const BOOKINFO_COMPONENTS: readonly BookinfoComponent[] = [
  {
    service: "details",
    versions: ["v1"],
    env: {},
    scratch: {},
    runAsUser: 1000,
    resources: small,
    healthPath: "/health",
    initialDelaySeconds: 2,
  },
  {
    service: "ratings",
    versions: ["v1"],
    env: {},
    scratch: {},
    runAsUser: 1000,
    resources: small,
    healthPath: "/health",
    initialDelaySeconds: 2,
  },
  {
    service: "reviews",
    versions: REVIEWS_VERSIONS,
    env: { LOG_DIR: "/tmp/logs" },
    scratch: { tmp: "/tmp", "wlp-output": "/opt/ibm/wlp/output" },
    runAsUser: 1001,
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
    healthPath: "/health",
    initialDelaySeconds: 15,
  },
  {
    service: "productpage",
    versions: ["v1"],
    env: {},
    scratch: { tmp: "/tmp" },
    runAsUser: 1000,
    resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    healthPath: "/health",
    initialDelaySeconds: 2,
  },
];

/** `docker.io/istio/examples-bookinfo-reviews-v2:1.18.0`. */
export function bookinfoImage(registry: string, service: string, version: string, tag: string): string {
  return `${registry}/examples-bookinfo-${service}-${version}:${tag}`;
}

/** `reviews` + `v2` → `reviews-v2` (the Deployment, and the per-version Service). */
export function versionedName(service: string, version: string): string {
  return `${service}-${version}`;
}
