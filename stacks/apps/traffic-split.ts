/**
 * The reviews traffic split (the canary knob): a Linkerd HTTPRoute whose
 * parent is the `reviews` Service and whose backends are the per-version
 * Services, weighted from config. Callers' proxies do the split.
 *
 * Versions with weight 0 are left out of the route (no traffic, and the
 * same edges as `expectedEdges(weights)`); their Deployments keep running,
 * ready for the next canary step.
 */
import type { Config } from "../../lib/config";
import { PORTS } from "../../lib/ports";
import { REVIEWS_VERSIONS } from "../../lib/bookinfo-graph";
import { LINKERD_POLICY_API } from "./linkerd-annotations";
import { appLabels } from "./labels";
import { versionedName } from "./bookinfo-components";
import type { KubeObject } from "./manifest";

export const REVIEWS_ROUTE_NAME = "reviews-split";

export interface WeightedBackend {
  readonly name: string;
  readonly port: number;
  readonly weight: number;
}

export function reviewsBackends(weights: Config["apps"]["reviewsWeights"]): WeightedBackend[] {
  return REVIEWS_VERSIONS.filter((v) => (weights[v] ?? 0) > 0).map((v) => ({
    name: versionedName("reviews", v),
    port: PORTS.bookinfoHttp.port,
    weight: weights[v] ?? 0,
  }));
}

export function reviewsRoute(config: Config, namespace: string): KubeObject {
  return {
    apiVersion: LINKERD_POLICY_API.httpRoute,
    kind: "HTTPRoute",
    metadata: { name: REVIEWS_ROUTE_NAME, namespace, labels: appLabels("reviews") },
    spec: {
      parentRefs: [{ group: "core", kind: "Service", name: "reviews", port: PORTS.bookinfoHttp.port }],
      rules: [{ backendRefs: reviewsBackends(config.apps.reviewsWeights) }],
    },
  };
}
