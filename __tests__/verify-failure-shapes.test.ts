/**
 * The verify checks' decisions on the shapes real failures take, beyond the
 * happy fixture: the label values Linkerd's proxy really emits for
 * plaintext, certificates at their time edges, an issuer that is not a CA, the
 * freshness bound built from the mesh's scrape interval, and an API server
 * that answers /version to anyone but refuses the credentials.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expectedEdges, edgeName } from "../lib/bookinfo-graph";
import { decideCertificates, apiCheck } from "../verify/checks/cluster";
import { decideFreshness, decideMtls } from "../verify/checks/mesh";
import { expectations } from "../verify/cli";
import { credentialsFromKubeconfig, KubeApi } from "../verify/kube";
import { decode, promVector } from "../verify/schemas";
import type { CheckContext } from "../verify/types";
import { testConfig } from "./helpers/synth";
import { describeWith, requireTool } from "./helpers/tools";
import { makePki, startFakePlatform, writeKubeconfig } from "./fixtures/verify/fake-cluster";

const weights = { v1: 1, v2: 1, v3: 1 };
const edges = expectedEdges(weights);

/** A Prometheus instant-query answer with one sample per edge, `labels` added to each. */
function answer(samples: Array<{ from: string; to: string; tls: string; extra?: Record<string, string>; value?: string }>) {
  return decode("mtls", promVector, {
    status: "success",
    data: {
      resultType: "vector",
      result: samples.map((s) => ({ metric: { deployment: s.from, dst_deployment: s.to, tls: s.tls, ...s.extra }, value: [1_700_000_000, s.value ?? "120"] })),
    },
  });
}

describe("mTLS decision on the label values the proxy emits", () => {
  // linkerd2-proxy (v2.210.x, the proxy of stable-2.14.10), linkerd/app/core/src/transport/labels.rs:
  // a TLS'd connection is labelled tls="true"; one without TLS tls="no_identity" with a
  // no_tls_reason (e.g. "not_provided_by_service_discovery" when the destination has no proxy),
  // or tls="disabled" when the proxy runs without identity. There is no tls="false".
  const allTls = edges.map((e) => ({ from: e.from, to: e.to, tls: "true" }));
  const victim = edges[0] as { from: string; to: string };

  it("passes when every edge is tls=\"true\"", () => {
    expect(decideMtls(answer(allTls), edges).ok).toBe(true);
  });

  it.each([
    ["no_identity", { no_tls_reason: "not_provided_by_service_discovery" }],
    ["no_identity", { no_tls_reason: "loopback" }],
    ["disabled", {}],
  ])("fails when an edge carries tls=%j traffic %j, naming the edge", (tls, extra) => {
    const d = decideMtls(answer([...allTls, { from: victim.from, to: victim.to, tls, extra, value: "30" }]), edges);
    expect(d.ok).toBe(false);
    expect(d.evidence).toContain(`${edgeName(victim)}: 20.0 % without TLS`);
  });
});

describeWith(requireTool("openssl", "openssl"))("certificate decision at its edges", () => {
  let anchor = "";
  let issuerCa = "";
  let issuerLeaf = "";
  beforeAll(() => {
    const d = mkdtempSync(path.join(tmpdir(), "verify-certs-"));
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: d, stdio: ["ignore", "ignore", "pipe"] });
    const key = (n: string) => run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${n}.key`);
    key("anchor");
    run("req", "-x509", "-new", "-key", "anchor.key", "-sha256", "-days", "3650", "-subj", "/CN=root.linkerd.cluster.local", "-addext", "basicConstraints=critical,CA:TRUE", "-out", "anchor.crt");
    // Linkerd's issuer must be a CA (identity.issuer.tls.crtPEM; it signs every proxy's certificate).
    for (const [name, ext] of [["issuer-ca", "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"], ["issuer-leaf", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"]] as const) {
      key(name);
      run("req", "-new", "-key", `${name}.key`, "-subj", "/CN=identity.linkerd.cluster.local", "-out", `${name}.csr`);
      writeFileSync(path.join(d, `${name}.ext`), ext);
      run("x509", "-req", "-in", `${name}.csr`, "-CA", "anchor.crt", "-CAkey", "anchor.key", "-CAcreateserial", "-days", "365", "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.crt`);
    }
    const r = (f: string) => readFileSync(path.join(d, f), "utf8");
    [anchor, issuerCa, issuerLeaf] = [r("anchor.crt"), r("issuer-ca.crt"), r("issuer-leaf.crt")];
  });
  const start = () => new Date(new X509Certificate(issuerCa).validFrom).getTime();

  it("passes a CA issuer that chains to the anchor, from the second it becomes valid", () => {
    const d = decideCertificates(issuerCa, anchor, new Date(start()), 30);
    expect(d).toMatchObject({ ok: true });
  });

  it("fails an issuer that is not valid yet (clock skew, or a certificate dated ahead)", () => {
    const d = decideCertificates(issuerCa, anchor, new Date(start() - 60_000), 30);
    expect(d.ok).toBe(false);
    expect(d.evidence).toMatch(/issuer not valid before/);
  });

  it("fails an issuer that chains to the anchor but is not a CA", () => {
    const d = decideCertificates(issuerLeaf, anchor, new Date(start() + 86_400_000), 30);
    expect(d.ok).toBe(false);
    expect(d.evidence).toContain("the issuer certificate is not a CA");
    expect(d.evidence).not.toContain("not signed by any trust anchor");
  });
});

describe("freshness bound", () => {
  it("is built from the mesh's scrape interval, not the global one", () => {
    const config = testConfig({ platform: { monitoring: { scrapeInterval: "60s", meshScrapeInterval: "2s" } } });
    const bound = expectations(config, { certMinDays: 30 }).freshnessBoundSeconds;
    // The KPI: mesh metrics fresh within 5 s, plus at most one mesh scrape interval.
    expect(bound).toBe(5 + 2);
  });

  it("fails a target whose newest sample is one global interval old", () => {
    const config = testConfig({ platform: { monitoring: { scrapeInterval: "30s", meshScrapeInterval: "5s" } } });
    const bound = expectations(config, { certMinDays: 30 }).freshnessBoundSeconds;
    const v = decode("fresh", promVector, {
      status: "success",
      data: { resultType: "vector", result: [{ metric: { job: "linkerd-proxy", namespace: "bookinfo", pod: "productpage-v1-6b7f6db8d6-abcde" }, value: [1_700_000_000, "30.2"] }] },
    });
    expect(decideFreshness(v, bound).ok).toBe(false);
  });
});

const openssl = requireTool("openssl", "openssl");

describeWith(openssl)("API check proves the credentials, not only reachability", () => {
  /** The check's context with only the API client set. */
  const ctx = (kube: KubeApi): CheckContext =>
    ({ kube: { ok: true, value: kube }, expect: expectations(testConfig(), { certMinDays: 30 }), now: () => new Date(), facts: {} }) as unknown as CheckContext;

  it.each([
    [401, "Unauthorized", "the client certificate is not accepted"],
    [403, 'namespaces "kube-system" is forbidden: User "terraform-admin" cannot get resource "namespaces" in API group "" in the namespace "kube-system"', "the identity is no longer bound to cluster-admin"],
  ])("fails when /version answers but a read is refused with %i (%s)", async (code, message) => {
    const pki = makePki(openssl as string);
    // /version is open to anyone (system:public-info-viewer); the namespace read is what needs the credentials.
    const status = { kind: "Status", apiVersion: "v1", status: "Failure", message, reason: code === 401 ? "Unauthorized" : "Forbidden", code };
    const p = await startFakePlatform(pki, { api: { "/api/v1/namespaces/kube-system": { json: status, status: code } } });
    try {
      const kube = new KubeApi(credentialsFromKubeconfig(writeKubeconfig(pki, p.apiUrl)));
      await expect(apiCheck.run(ctx(kube), new AbortController().signal)).rejects.toThrow(new RegExp(String(code)));
      expect(p.apiRequests).toContain("/version");
    } finally {
      await p.close();
    }
  });
});
