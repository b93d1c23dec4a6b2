import { allowedCallers, callGraph, edgeName, expectedEdges, GRAPH_NODES } from "../lib/bookinfo-graph";
import { DEFAULT_CONFIG } from "../lib/config";

const names = (edges: Array<{ from: string; to: string }>) => edges.map(edgeName).sort();

describe("Bookinfo call graph", () => {
  it("with the default equal weights, expects traffic on every edge of the graph", () => {
    expect(names(expectedEdges(DEFAULT_CONFIG.apps.reviewsWeights))).toEqual(names(callGraph()));
    expect(names(expectedEdges({ v1: 1, v2: 1, v3: 1 }))).toEqual([
      "productpage-v1 → details-v1",
      "productpage-v1 → reviews-v1",
      "productpage-v1 → reviews-v2",
      "productpage-v1 → reviews-v3",
      "reviews-v2 → ratings-v1",
      "reviews-v3 → ratings-v1",
      "traffic-generator → productpage-v1",
    ]);
  });

  it("drops a reviews version with weight 0 and the ratings call it would make", () => {
    expect(names(expectedEdges({ v1: 1, v2: 0, v3: 1 }))).toEqual([
      "productpage-v1 → details-v1",
      "productpage-v1 → reviews-v1",
      "productpage-v1 → reviews-v3",
      "reviews-v3 → ratings-v1",
      "traffic-generator → productpage-v1",
    ]);
  });

  it("expects no ratings traffic when only reviews-v1 (no stars) gets traffic, and treats a missing version as 0", () => {
    const edges = names(expectedEdges({ v1: 5 }));
    expect(edges).toEqual(["productpage-v1 → details-v1", "productpage-v1 → reviews-v1", "traffic-generator → productpage-v1"]);
  });

  it("rejects unknown versions, negative or fractional weights, and all-zero weights", () => {
    expect(() => expectedEdges({ v4: 1 })).toThrow(/v4.*allowed: v1, v2, v3/);
    expect(() => expectedEdges({ v1: -1 })).toThrow(/got -1/);
    expect(() => expectedEdges({ v1: 0.5 })).toThrow(/got 0.5/);
    expect(() => expectedEdges({ v1: 0, v2: 0 })).toThrow(/positive weight/);
  });

  it("allows each Service only the ServiceAccounts of its real callers", () => {
    expect(allowedCallers()).toEqual({
      productpage: ["traffic-generator"],
      details: ["bookinfo-productpage"],
      reviews: ["bookinfo-productpage"],
      ratings: ["bookinfo-reviews"],
    });
  });

  it("uses only workloads it knows, each edge between two of them", () => {
    const deployments = new Set(GRAPH_NODES.map((n) => n.deployment));
    for (const e of callGraph()) {
      expect(deployments.has(e.from) && deployments.has(e.to)).toBe(true);
    }
  });
});
