/**
 * The trace and log checks against recorded-shape answers of Jaeger's and
 * Loki's query APIs (fixtures/verify/observability.ts cites the shapes).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { decideLogs, decideTrace, LOG_COUNT_QUERY, podsExpectedToLog } from "../verify/checks/observability";
import { decode, jaegerTraces, lokiMatrix, podList } from "../verify/schemas";
import { JAEGER_PROXY_PATH, LOKI_PROXY_PATH, traceSearchQuery } from "../verify/observability";
import { VerifyError } from "../verify/http";
import * as F from "./fixtures/verify/observability";

const traces = (v: unknown) => decode("Jaeger", jaegerTraces, v);
const matrix = (v: unknown) => decode("Loki", lokiMatrix, v);
const pods = decode(
  "pods",
  podList,
  (JSON.parse(readFileSync(path.join(__dirname, "fixtures", "verify", "pods.json"), "utf8")) as { healthy: { bookinfo: unknown } }).healthy.bookinfo,
);
const weights = { v1: 1, v2: 1, v3: 1 };

describe("verify: trace of a productpage request", () => {
  it("passes on a recent trace that joins productpage, details, reviews and ratings", () => {
    const d = decideTrace(traces(F.JAEGER_ONE_REQUEST), F.NOW);
    expect(d.ok).toBe(true);
    expect(d.evidence).toBe("trace 5e8c6f0a9b1d2c3e: 6 spans from 4 services (details, productpage, ratings, reviews), started 42 s ago; 1 recent productpage trace(s)");
  });
  it("fails when the request's spans are split over traces (a service that does not forward the headers)", () => {
    const d = decideTrace(traces(F.JAEGER_BROKEN_APART), F.NOW);
    expect(d.ok).toBe(false);
    expect(d.evidence).toContain("2 services (details, productpage)");
  });
  it("fails on a trace older than five minutes, and on no trace", () => {
    expect(decideTrace(traces(F.JAEGER_STALE), F.NOW)).toMatchObject({ ok: false, evidence: expect.stringContaining("no trace with productpage spans in the last 5 min (1 trace(s) returned)") });
    expect(decideTrace(traces(F.JAEGER_EMPTY), F.NOW).ok).toBe(false);
  });
  it("rejects an answer without processes as malformed", () => {
    const { processes: _dropped, ...noProcesses } = F.JAEGER_ONE_REQUEST.data[0]!;
    expect(() => traces({ data: [noProcesses] })).toThrow(VerifyError);
  });
  it("asks Jaeger through the API server for linkerd-proxy spans tagged app=productpage in the last five minutes", () => {
    const q = new URLSearchParams(traceSearchQuery("linkerd-proxy", { app: "productpage" }, new Date(F.NOW.getTime() - 300_000), F.NOW, 20));
    expect(Object.fromEntries(q)).toEqual({
      service: "linkerd-proxy",
      tags: '{"app":"productpage"}',
      start: String((F.NOW.getTime() - 300_000) * 1000),
      end: String(F.NOW.getTime() * 1000),
      limit: "20",
    });
    expect(JAEGER_PROXY_PATH).toBe("/api/v1/namespaces/linkerd-jaeger/services/jaeger:ui/proxy/jaeger");
  });
});

describe("verify: log lines from every Bookinfo pod", () => {
  it("expects every running Bookinfo pod that gets traffic, not the traffic generator", () => {
    expect(podsExpectedToLog(pods, weights)).toEqual([
      "details-v1-7d4d9d5fcb-x7k2p",
      "productpage-v1-5f9d8b7c6d-x7k2p",
      "ratings-v1-85cc46b6d4-x7k2p",
      "reviews-v1-86896b7648-x7k2p",
      "reviews-v2-b7dcd98fb-x7k2p",
      "reviews-v3-5c5cc7b6d-x7k2p",
    ]);
    // With reviews v2 and v3 at weight 0 neither they nor ratings get requests.
    expect(podsExpectedToLog(pods, { v1: 1, v2: 0, v3: 0 })).toEqual(["details-v1-7d4d9d5fcb-x7k2p", "productpage-v1-5f9d8b7c6d-x7k2p", "reviews-v1-86896b7648-x7k2p"]);
  });
  it("passes when each of them has lines in the last five minutes", () => {
    const d = decideLogs(matrix(F.LOKI_ALL_PODS), podsExpectedToLog(pods, weights));
    expect(d).toEqual({ ok: true, evidence: "6/6 Bookinfo pods logged in the last 5 min (2815 lines)" });
  });
  it("fails naming the pods with no line (an agent down on their node)", () => {
    const d = decideLogs(matrix(F.LOKI_ONE_NODE_SILENT), podsExpectedToLog(pods, weights));
    expect(d.ok).toBe(false);
    expect(d.evidence).toContain("from 2 of 6 Bookinfo pods: ratings-v1-85cc46b6d4-x7k2p; reviews-v3-5c5cc7b6d-x7k2p");
  });
  it("fails when there is no Bookinfo pod to expect lines from", () => {
    expect(decideLogs(matrix(F.LOKI_ALL_PODS), []).ok).toBe(false);
  });
  it("counts lines per pod of the bookinfo namespace over five minutes, asked through the API server", () => {
    expect(LOG_COUNT_QUERY).toBe('sum by (pod) (count_over_time({namespace="bookinfo"}[5m]))');
    expect(LOKI_PROXY_PATH).toBe("/api/v1/namespaces/logging/services/loki:http-metrics/proxy");
    expect(() => matrix({ status: "success", data: { resultType: "streams", result: [] } })).toThrow(VerifyError);
  });
});
