/**
 * `npm run verify` end to end against a stand-in platform on 127.0.0.1: an
 * HTTPS API server with a test CA that wants a client certificate, Prometheus
 * behind its service proxy, Grafana and productpage, all serving recorded
 * answers. Failure modes (refused certificates, timeouts, malformed answers,
 * unreachable endpoints) must end in a clear ✗, never a crash or a false ✓.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { describeWith, requireTool } from "./helpers/tools";
import { PORTS } from "../lib/ports";
import { KUBERNETES } from "../lib/versions";
import { runCli, type CliIo } from "../verify/cli";
import { CHECKS } from "../verify/checks";
import {
  FIXTURES,
  GRAFANA_PASSWORD,
  makePki,
  OBSERVABILITY_PATHS,
  PROM_PATHS,
  startFakePlatform,
  writeKubeconfig,
  type FakeOptions,
  type FakePlatform,
  type Pki,
} from "./fixtures/verify/fake-cluster";

const openssl = requireTool("openssl", "openssl");
const root = path.join(__dirname, "..");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
interface JsonReport {
  ok: boolean;
  passed: number;
  failed: number;
  skipped: number;
  checks: Array<{ id: string; status: string; evidence: string; remedy?: string }>;
}

async function verify(args: string[], extra: Partial<CliIo> = {}, env: Record<string, string> = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { VERIFY_GRAFANA_PASSWORD: GRAFANA_PASSWORD, ...env },
    cwd: root,
    readStackOutputs: () => {
      throw new Error("no stack outputs in this test");
    },
    ...extra,
  });
  return { code, stdout, stderr };
}

function byId(r: Run): Record<string, { status: string; evidence: string; remedy?: string }> {
  const report = JSON.parse(r.stdout) as JsonReport;
  return Object.fromEntries(report.checks.map((c) => [c.id, c]));
}

describeWith(openssl)("npm run verify against a local stand-in platform", () => {
  let pki: Pki;
  const started: FakePlatform[] = [];
  const platform = async (opts: FakeOptions = {}) => {
    const p = await startFakePlatform(pki, opts);
    started.push(p);
    return p;
  };
  const flags = (p: FakePlatform, kubeconfig = writeKubeconfig(pki, p.apiUrl)) => [
    "--kubeconfig",
    kubeconfig,
    "--bookinfo-url",
    p.bookinfoUrl,
    "--timeout",
    "0.6",
  ];

  beforeAll(() => {
    pki = makePki(openssl as string);
  });
  afterAll(async () => {
    await Promise.all(started.map((p) => p.close()));
  });

  it("passes every check on a healthy platform, with a progress line per check on stderr, and exits 0", async () => {
    const p = await platform();
    const r = await verify([...flags(p), "--json"]);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.checks.filter((c) => c.status !== "pass")).toEqual([]);
    expect(report).toMatchObject({ ok: true, passed: CHECKS.length, failed: 0, skipped: 0 });
    expect(r.code).toBe(0);
    const progress = r.stderr.trim().split("\n");
    expect(progress).toHaveLength(2 * CHECKS.length);
    expect(progress.filter((l) => l.includes("✓"))).toHaveLength(CHECKS.length);
    // Prometheus was reached only through the API server's service proxy, with the queries the checks define.
    expect(p.apiRequests).toEqual(expect.arrayContaining([PROM_PATHS.mtls, PROM_PATHS.freshness, PROM_PATHS.rules, PROM_PATHS.alerts]));
    // Jaeger and Loki likewise, through the API server.
    for (const prefix of Object.values(OBSERVABILITY_PATHS)) expect(p.apiRequests.some((r) => r.startsWith(`${prefix}?`))).toBe(true);
  });

  it("runs the trace and log checks only when tracing and logs are on", async () => {
    const p = await platform();
    const r = await verify([...flags(p), "--json"], {}, { MESH_PLATFORM__TRACING__ENABLED: "false", MESH_PLATFORM__LOGS__ENABLED: "false" });
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.checks.map((c) => c.id)).not.toEqual(expect.arrayContaining(["trace"]));
    expect(report.checks.map((c) => c.id)).not.toEqual(expect.arrayContaining(["logs"]));
    expect(report).toMatchObject({ ok: true, passed: CHECKS.length - 2 });
    expect(p.apiRequests.some((q) => Object.values(OBSERVABILITY_PATHS).some((prefix) => q.startsWith(prefix)))).toBe(false);
  });

  it("fails the log check when Loki has nothing from some Bookinfo pods", async () => {
    const p = await platform({ api: { [OBSERVABILITY_PATHS.logs]: { json: { status: "success", data: { resultType: "matrix", result: [] } } } } });
    const report = JSON.parse((await verify([...flags(p), "--json"])).stdout) as JsonReport;
    expect(report.checks.find((c) => c.id === "logs")).toMatchObject({ status: "fail", evidence: expect.stringContaining("no log line in the last 5 min from 6 of 6 Bookinfo pods") });
    expect(report.checks.find((c) => c.id === "trace")?.status).toBe("pass");
  });

  it("prints a table with evidence by default", async () => {
    const p = await platform();
    const r = await verify(flags(p));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("✓  API reachable");
    expect(r.stdout).toContain(`Kubernetes v${KUBERNETES.version}`);
    expect(r.stdout).toContain(`All ${CHECKS.length} checks passed.`);
  });

  it("reads credentials and addresses from the stacks' outputs when no flags are given", async () => {
    const p = await platform();
    const outputs: Record<string, Record<string, unknown>> = {
      cluster: {
        api_server_url: p.apiUrl,
        ca_certificate_pem: pki.caPem,
        client_certificate_pem: pki.clientCertPem,
        client_key_pem: pki.clientKeyPem,
        bookinfo_url: p.bookinfoUrl,
      },
      platform: { grafana_admin_password: GRAFANA_PASSWORD },
    };
    let code = -1;
    let out = "";
    code = await runCli(["--json", "--timeout", "2"], {
      stdout: (t) => (out += t),
      stderr: () => undefined,
      env: {},
      cwd: root,
      readStackOutputs: (stack) => outputs[stack] ?? {},
    });
    expect((JSON.parse(out) as JsonReport).checks.filter((c) => c.status !== "pass")).toEqual([]);
    expect(code).toBe(0);
  });

  it("fails the API check when the API server refuses the client certificate (401), skipping what depends on it", async () => {
    const p = await platform();
    const r = await verify([...flags(p, writeKubeconfig(pki, p.apiUrl, { rogue: true })), "--json"]);
    const c = byId(r);
    expect(r.code).toBe(1);
    expect(c.api).toMatchObject({ status: "fail", evidence: expect.stringContaining("HTTP 401 (the API server did not accept these credentials)") });
    for (const id of ["nodes", "kubelet", "pods", "mtls", "page-alerts", "grafana-health", "grafana-login", "grafana-panels"]) {
      expect(c[id]).toMatchObject({ status: "skipped", evidence: expect.stringMatching(/^skipped: because ".+" (failed|was skipped)$/) });
    }
    // Grafana is reached through the API server now; only productpage does without it.
    expect(c.productpage!.status).toBe("pass");
  });

  it("fails clearly when the server refuses the client certificate in the TLS handshake", async () => {
    const p = await platform({ rejectInHandshake: true });
    const r = await verify([...flags(p, writeKubeconfig(pki, p.apiUrl, { rogue: true })), "--json"]);
    expect(r.code).toBe(1);
    expect(byId(r).api!.evidence).toMatch(/refused the client certificate|did not accept the client certificate/);
  });

  it("fails clearly when the API server's certificate is not signed by the expected CA", async () => {
    const p = await platform();
    const r = await verify([...flags(p, writeKubeconfig(pki, p.apiUrl, { wrongCa: true })), "--json"]);
    expect(byId(r).api!.evidence).toContain("server certificate not trusted with the cluster CA");
  });

  it("turns an endpoint that never answers into a timeout failure of that check only", async () => {
    const p = await platform({ api: { "/api/v1/nodes/ip-10-0-2-194/proxy/healthz": { hang: true }, [PROM_PATHS.freshness]: { hang: true } } });
    const started = Date.now();
    const r = await verify([...flags(p).slice(0, -1), "0.3", "--json"]);
    const c = byId(r);
    expect(c.kubelet).toMatchObject({ status: "fail", evidence: expect.stringMatching(/no result within 0.3 s|no answer before the check's timeout/) });
    expect(c.freshness!.status).toBe("fail");
    expect(c.mtls!.status).toBe("pass");
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("reports malformed answers as failures naming what was wrong", async () => {
    const p = await platform({
      api: {
        "/api/v1/nodes": { text: "<html>502 Bad Gateway</html>", type: "text/html" },
        [PROM_PATHS.mtls]: { json: FIXTURES.prom["malformed-matrix"] },
        [PROM_PATHS.rules]: { json: { status: "success", data: {} } },
      },
      grafana: { "/api/search?type=dash-db&limit=5000": { json: { unexpected: true } } },
    });
    const c = byId(await verify([...flags(p), "--json"]));
    expect(c.nodes!.evidence).toContain('answer is not JSON (starts with "<html>502 Bad Gateway</html>")');
    expect(c.mtls!.evidence).toContain("malformed answer at data.resultType");
    expect(c["slo-rules"]!.evidence).toContain("malformed answer at data.groups");
    expect(c["page-alerts"]!.status).toBe("skipped");
    expect(c["grafana-dashboards"]!.evidence).toContain("Grafana /api/search: malformed answer");
    expect(c["grafana-panels"]!.status).toBe("skipped");
  });

  it("reports each failure mode of a live platform with its evidence and what to do", async () => {
    const p = await platform({
      api: {
        "/api/v1/nodes/ip-10-0-2-194/proxy/healthz": {
          json: { kind: "Status", status: "Failure", message: `error dialing backend: dial tcp 10.0.2.194:${PORTS.kubelet.port}: i/o timeout`, code: 502 },
          status: 502,
        },
        "/api/v1/namespaces/bookinfo/pods": { json: FIXTURES.pods["bookinfo-one-unmeshed"] },
        [PROM_PATHS.mtls]: { json: FIXTURES.prom["mtls-plaintext-edge"] },
        [PROM_PATHS.alerts]: { json: FIXTURES.alerts["page-firing"] },
        [PROM_PATHS.freshness]: { json: FIXTURES.prom["query-error"], status: 400 },
      },
      grafana: { "/api/dashboards/uid/uid-linkerd-health": { json: FIXTURES.grafana["dashboard-health-empty"] } },
      productpage: { text: FIXTURES.productpageFailed, type: "text/html" },
    });
    const r = await verify([...flags(p), "--json"]);
    const c = byId(r);
    expect(r.code).toBe(1);
    expect(c.kubelet).toMatchObject({ status: "fail", evidence: expect.stringContaining(`${PORTS.kubelet.port}: i/o timeout`), remedy: expect.stringContaining(`allow TCP ${PORTS.kubelet.port}`) });
    expect(c.meshed!.evidence).toContain("has no linkerd-proxy");
    expect(c.pods!.status).toBe("pass"); // running and ready, just not meshed
    expect(c.mtls!.evidence).toContain("without TLS");
    expect(c["page-alerts"]!.evidence).toContain("ProductpageErrorBudgetBurnPage");
    expect(c.freshness!.evidence).toContain("HTTP 400: bad_data: invalid parameter");
    expect(c["grafana-dashboards"]!.evidence).toContain("no panel queries (download failed?): linkerd-health");
    expect(c.productpage!.evidence).toContain("reviews failed");
    const table = await verify(flags(p));
    expect(table.stdout).toMatch(/✗  Kubelets reachable +1 of 3 kubelets unreachable/);
    expect(table.stdout).toContain(`fix: allow TCP ${PORTS.kubelet.port} from the control plane to every node`);
  });

  it("reaches Grafana only through the API server, logging in once with the password in a POST body and sending no Authorization to Grafana", async () => {
    const p = await platform();
    const r = await verify([...flags(p), "--json"]);
    expect(byId(r)["grafana-panels"]!.status).toBe("pass");
    const logins = p.grafanaRequests.filter((q) => q.path === "/login");
    expect(logins).toHaveLength(1);
    expect(logins[0]).toMatchObject({ method: "POST", body: JSON.stringify({ user: "admin", password: GRAFANA_PASSWORD }) });
    // No Basic header anywhere, and the password appears in no request but the login body.
    for (const q of p.grafanaRequests) {
      expect(q.headers.authorization).toBeUndefined();
      expect(JSON.stringify({ path: q.path, headers: q.headers })).not.toContain(GRAFANA_PASSWORD);
    }
    expect(p.grafanaRequests.filter((q) => q.path !== "/api/health" && q.path !== "/login").every((q) => (q.headers.cookie ?? "").includes("grafana_session="))).toBe(true);
    expect(p.grafanaRequests.length).toBeGreaterThan(3);
    // The platform's Grafana NodePort is not used: every Grafana call went to the API server's proxy path.
    expect(p.apiRequests.filter((a) => a.includes("/services/kube-prometheus-stack-grafana:http-web/proxy/")).length).toBe(p.grafanaRequests.length);
  });

  it("fails Grafana login with a wrong password and unreachable endpoints as connection refused", async () => {
    const p = await platform();
    const closed = await platform();
    await closed.close();
    started.pop();
    const r = await verify(["--kubeconfig", writeKubeconfig(pki, p.apiUrl), "--bookinfo-url", closed.bookinfoUrl, "--json"], {}, {
      VERIFY_GRAFANA_PASSWORD: "prom-operator",
    });
    const c = byId(r);
    expect(c["grafana-login"]).toMatchObject({ status: "fail", evidence: "Grafana /login: HTTP 401: the admin password was rejected" });
    expect(c["grafana-dashboards"]!.status).toBe("skipped");
    expect(c.productpage!.evidence).toContain("connection refused");
  });

  it("expects the node count and traffic edges from the configuration", async () => {
    const p = await platform({ api: { [PROM_PATHS.mtls]: { json: FIXTURES.prom["mtls-missing-ratings"] } } });
    const r = await verify([...flags(p), "--json"], {}, { K8S_MESH_CLUSTER__WORKERS__COUNT: "3", K8S_MESH_APPS__REVIEWS_WEIGHTS: '{"v1":1,"v2":0,"v3":0}' });
    const c = byId(r);
    expect(c.nodes!.evidence).toContain("expected 4");
    expect(c.mtls!.status).toBe("pass");
  });

  it("rejects bad usage and bad configuration with exit code 2 before checking anything", async () => {
    const bad = await verify(["--timeout", "soon"]);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--timeout: got "soon"; allowed: a number greater than 0') });
    expect((await verify(["--frobnicate"])).code).toBe(2);
    expect((await verify(["--context", "x"])).stderr).toContain("--context: needs --kubeconfig");
    const cfg = await verify([], {}, { K8S_MESH_CLUSTER__WORKERS__COUNT: "many" });
    expect(cfg).toMatchObject({ code: 2, stderr: expect.stringContaining("K8S_MESH_CLUSTER__WORKERS__COUNT") });
    const help = await verify(["--help"]);
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining("--kubeconfig <path>") });
  });

  it("runs as `npm run verify` does (tsx verify/main.ts) and exits 0 when healthy", async () => {
    const p = await platform();
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        path.join(root, "node_modules", ".bin", "tsx"),
        ["verify/main.ts", ...flags(p), "--json"],
        { cwd: root, env: { ...process.env, VERIFY_GRAFANA_PASSWORD: GRAFANA_PASSWORD } },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(run.stderr).toContain(`[${CHECKS.length}/${CHECKS.length}] ✓`);
    expect((JSON.parse(run.stdout) as JsonReport).ok).toBe(true);
    expect(run.code).toBe(0);
  });
});
