/**
 * Bookinfo's call graph: which workload calls which, in one place.
 *
 * Everything that needs to know "who talks to whom" derives from here:
 * - the authorization policy allows exactly `callGraph()` (every edge that can
 *   ever carry traffic, whatever the weights, so shifting a canary never needs
 *   a policy change) and nothing else;
 * - the absent-series alerts and the verify command's mTLS check expect
 *   traffic on exactly `expectedEdges(weights)`: the edges the current reviews
 *   weights actually use.
 *
 * Names are Deployment names, which is also what Linkerd's proxy metrics carry
 * (`deployment` and `dst_deployment` labels of `response_total`).
 */
import { BOOKINFO, TRAFFIC_GENERATOR, bookinfoServiceAccount } from "./k8s-names";

export type ReviewsVersion = keyof typeof BOOKINFO.deployments.reviews;
export const REVIEWS_VERSIONS = Object.keys(BOOKINFO.deployments.reviews) as ReviewsVersion[];

/** A workload of the graph: its Deployment, the Service it serves (if any) and its mesh identity. */
export interface GraphNode {
  readonly deployment: string;
  /** The Service that routes to this workload; absent for pure clients (the traffic generator). */
  readonly service?: string;
  /** The ServiceAccount whose mesh identity the workload's proxy presents. */
  readonly serviceAccount: string;
  /** For reviews: the version whose weight decides whether it gets traffic. */
  readonly reviewsVersion?: ReviewsVersion;
}

/** A directed call from one Deployment to another. */
export interface Edge {
  readonly from: string;
  readonly to: string;
}

/** A call from a workload to a Service (before the reviews split picks a version). */
interface ServiceCall {
  readonly from: string;
  readonly toService: string;
}

const reviewsNodes: GraphNode[] = REVIEWS_VERSIONS.map((v) => ({
  deployment: BOOKINFO.deployments.reviews[v],
  service: "reviews",
  serviceAccount: bookinfoServiceAccount("reviews"),
  reviewsVersion: v,
}));

/** Every workload in the graph. */
export const GRAPH_NODES: readonly GraphNode[] = [
  { deployment: TRAFFIC_GENERATOR.deployment, serviceAccount: TRAFFIC_GENERATOR.serviceAccount },
  { deployment: BOOKINFO.deployments.productpage, service: "productpage", serviceAccount: bookinfoServiceAccount("productpage") },
  { deployment: BOOKINFO.deployments.details, service: "details", serviceAccount: bookinfoServiceAccount("details") },
  ...reviewsNodes,
  { deployment: BOOKINFO.deployments.ratings, service: "ratings", serviceAccount: bookinfoServiceAccount("ratings") },
];

/**
 * The calls each workload makes, by Service. productpage calls details and
 * reviews; reviews-v2 and -v3 call ratings (stars); reviews-v1 calls nothing.
 */
const SERVICE_CALLS: readonly ServiceCall[] = [
  { from: TRAFFIC_GENERATOR.deployment, toService: "productpage" },
  { from: BOOKINFO.deployments.productpage, toService: "details" },
  { from: BOOKINFO.deployments.productpage, toService: "reviews" },
  { from: BOOKINFO.deployments.reviews.v2, toService: "ratings" },
  { from: BOOKINFO.deployments.reviews.v3, toService: "ratings" },
];

function node(deployment: string): GraphNode {
  const found = GRAPH_NODES.find((n) => n.deployment === deployment);
  if (!found) throw new Error(`${deployment} is not a workload of the Bookinfo graph`);
  return found;
}

function backends(service: string): GraphNode[] {
  return GRAPH_NODES.filter((n) => n.service === service);
}

/** Every edge that can carry traffic under some weights (what authorization allows). */
export function callGraph(): Edge[] {
  return SERVICE_CALLS.flatMap((c) => backends(c.toService).map((b) => ({ from: c.from, to: b.deployment })));
}

/**
 * For each Bookinfo Service, the ServiceAccounts allowed to call it
 * (authorization policy input). Services nobody calls map to an empty list.
 */
export function allowedCallers(): Record<string, string[]> {
  const result: Record<string, string[]> = Object.fromEntries(BOOKINFO.services.map((s) => [s, [] as string[]]));
  for (const c of SERVICE_CALLS) {
    const list = result[c.toService] ?? [];
    const sa = node(c.from).serviceAccount;
    if (!list.includes(sa)) list.push(sa);
    result[c.toService] = list;
  }
  return result;
}

/** Throws on weights that name an unknown version or are not non-negative integers. */
function checkWeights(weights: Readonly<Record<string, number>>): void {
  for (const [version, w] of Object.entries(weights)) {
    if (!(REVIEWS_VERSIONS as string[]).includes(version)) {
      throw new Error(`reviews weight for ${JSON.stringify(version)}: not a reviews version; allowed: ${REVIEWS_VERSIONS.join(", ")}`);
    }
    if (!Number.isInteger(w) || w < 0) throw new Error(`reviews weight for ${version}: got ${w}; allowed: a whole number 0 or more`);
  }
  if (!Object.values(weights).some((w) => w > 0)) throw new Error("reviews weights: at least one version needs a positive weight");
}

/**
 * The edges that carry traffic with these reviews weights (a missing version
 * counts as weight 0): the traffic generator → productpage, productpage →
 * details, productpage → each reviews version with weight > 0, and each such
 * reviews version that calls ratings → ratings. Sorted for stable output.
 */
export function expectedEdges(weights: Readonly<Record<string, number>>): Edge[] {
  checkWeights(weights);
  const live = (deployment: string): boolean => {
    const v = node(deployment).reviewsVersion;
    return v === undefined || (weights[v] ?? 0) > 0;
  };
  return callGraph()
    .filter((e) => live(e.from) && live(e.to))
    .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/** `productpage-v1 → details-v1`. */
export function edgeName(e: Edge): string {
  return `${e.from} → ${e.to}`;
}
