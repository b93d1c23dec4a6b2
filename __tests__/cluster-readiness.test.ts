/**
 * The readiness program, run as Terraform runs it (a child `node` process,
 * credentials in its environment) against a local HTTPS server that, like
 * the API server, requires a client certificate signed by the test CA.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { describeWith, requireTool } from "./helpers/tools";
import { WAIT_ENV, WAIT_PROGRAM } from "../stacks/cluster/readiness-gate";
import { VOLUME_WAIT_PROGRAM } from "../stacks/platform/volume-cleanup";
import { DEPLOY_HOOKS_DIR } from "../lib/deploy-hooks";

interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherClientCert: string;
  otherClientKey: string;
}

/** A test CA, a server certificate for 127.0.0.1, a client certificate it signed, and one from an unrelated CA. */
function makePki(openssl: string): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), "gate-pki-"));
  const f = (n: string) => path.join(dir, n);
  const run = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  run("req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-subj", "/CN=test-ca", "-days", "1");
  run("req", "-x509", ...ec, "-keyout", f("other-ca.key"), "-out", f("other-ca.crt"), "-subj", "/CN=other-ca", "-days", "1");
  const issue = (name: string, subj: string, ca: string, ext: string) => {
    run("req", ...ec, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", subj);
    writeFileSync(f(`${name}.ext`), ext);
    run("x509", "-req", "-in", f(`${name}.csr`), "-CA", f(`${ca}.crt`), "-CAkey", f(`${ca}.key`), "-CAcreateserial", "-out", f(`${name}.crt`), "-days", "1", "-extfile", f(`${name}.ext`));
  };
  issue("server", "/CN=kube-apiserver", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  issue("client", "/O=system:masters/CN=kubernetes-admin", "ca", "extendedKeyUsage=clientAuth\n");
  issue("other", "/CN=intruder", "other-ca", "extendedKeyUsage=clientAuth\n");
  const r = (n: string) => readFileSync(f(n), "utf8");
  return {
    ca: r("ca.crt"),
    serverCert: r("server.crt"),
    serverKey: r("server.key"),
    clientCert: r("client.crt"),
    clientKey: r("client.key"),
    otherClientCert: r("other.crt"),
    otherClientKey: r("other.key"),
  };
}

type Handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void;

const nodeList = (n: number) =>
  JSON.stringify({
    kind: "NodeList",
    items: Array.from({ length: n }, (_, i) => ({ metadata: { name: `ip-10-0-1-${10 + i}` }, status: { conditions: [{ type: "Ready", status: "False" }] } })),
  });

interface RunResult {
  code: number | null;
  output: string;
}

function runProgram(env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WAIT_PROGRAM], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += String(d)));
    child.stderr.on("data", (d) => (output += String(d)));
    child.on("close", (code) => resolve({ code, output }));
  });
}

const openssl = requireTool("openssl", "openssl");

describeWith(openssl)("wait-for-cluster (readiness gate program)", () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki(openssl as string);
  });

  /** A mutual-TLS server like the API server, serving /api/v1/nodes with `handler`; one per test, so tests run concurrently. */
  async function withServer<T>(handler: Handler, body: (url: string, seenClients: string[]) => Promise<T>): Promise<T> {
    const seenClients: string[] = [];
    const server = https.createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      seenClients.push(String((req.socket as import("node:tls").TLSSocket).getPeerCertificate().subject?.CN));
      if (req.url === "/api/v1/nodes") handler(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      return await body(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, seenClients);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }

  const env = (url: string, overrides: Record<string, string> = {}) => ({
    [WAIT_ENV.apiServerUrl]: url,
    [WAIT_ENV.caCertificatePem]: pki.ca,
    [WAIT_ENV.clientCertificatePem]: pki.clientCert,
    [WAIT_ENV.clientKeyPem]: pki.clientKey,
    [WAIT_ENV.expectedNodes]: "3",
    [WAIT_ENV.timeoutSeconds]: "0.8",
    CLUSTER_WAIT_INTERVAL_SECONDS: "0.1",
    CLUSTER_REQUEST_TIMEOUT_SECONDS: "0.3",
    ...overrides,
  });
  const answer = (status: number, body = "") => ((_req, res) => res.writeHead(status, { "Content-Type": "application/json" }).end(body)) as Handler;

  it.concurrent("succeeds once the API server lists enough nodes for the client certificate", async () => {
    await withServer(answer(200, nodeList(3)), async (url, seen) => {
      const r = await runProgram(env(url));
      expect(r.code).toBe(0);
      expect(r.output).toContain("3 nodes registered");
      expect(seen).toContain("kubernetes-admin");
    });
  });

  it.concurrent("keeps waiting while the API server is starting, then succeeds", async () => {
    let calls = 0;
    const starting: Handler = (_req, res) => {
      calls += 1;
      if (calls < 3) res.writeHead(503).end("starting");
      else res.writeHead(200).end(nodeList(3));
    };
    await withServer(starting, async (url) => {
      const r = await runProgram(env(url, { [WAIT_ENV.timeoutSeconds]: "5" }));
      expect(r.code).toBe(0);
      expect(r.output).toContain("HTTP 503");
      expect(calls).toBeGreaterThanOrEqual(3);
    });
  });

  it.concurrent("fails when too few nodes register within the bound, saying how many and where to look", async () => {
    await withServer(answer(200, nodeList(2)), async (url) => {
      const r = await runProgram(env(url));
      expect(r.code).toBe(1);
      expect(r.output).toContain("2 of 3 nodes registered");
      expect(r.output).toContain("/var/log/cloud-init-output.log");
      expect(r.output).toContain("Session Manager");
    });
  });

  it.concurrent.each([
    [401, "does not accept the admin client certificate"],
    [403, "may not list nodes"],
  ])("fails on HTTP %i with its own explanation, never printing the key", async (status, message) => {
    await withServer(answer(status, "{}"), async (url) => {
      const r = await runProgram(env(url));
      expect(r.code).toBe(1);
      expect(r.output).toContain(message);
      expect(r.output).not.toContain("PRIVATE KEY");
    });
  });

  it.concurrent("fails when the server rejects a client certificate from another CA", async () => {
    await withServer(answer(200, nodeList(3)), async (url) => {
      const r = await runProgram(env(url, { [WAIT_ENV.clientCertificatePem]: pki.otherClientCert, [WAIT_ENV.clientKeyPem]: pki.otherClientKey }));
      expect(r.code).toBe(1);
      expect(r.output).toContain("API server not reachable");
    });
  });

  it.concurrent("fails when the server's certificate does not chain to the cluster CA", async () => {
    await withServer(answer(200, nodeList(3)), async (url) => {
      const r = await runProgram(env(url, { [WAIT_ENV.caCertificatePem]: pki.otherClientCert }));
      expect(r.code).toBe(1);
      expect(r.output).toMatch(/API server not reachable: .*(certificate|self.signed|verify)/i);
    });
  });

  it.concurrent("fails when nothing listens (connection refused)", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await runProgram(env(`https://127.0.0.1:${port}`));
    expect(r.code).toBe(1);
    expect(r.output).toContain("ECONNREFUSED");
  });

  it.concurrent("fails when the server accepts connections but never answers (request timeout)", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const r = await runProgram(env(`https://127.0.0.1:${(silent.address() as AddressInfo).port}`));
      expect(r.code).toBe(1);
      expect(r.output).toContain("no answer within 0.3s");
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it.concurrent("reports a control plane that never answered as one that did not initialize, with the command that shows why", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await runProgram(
      env(`https://127.0.0.1:${port}`, {
        [WAIT_ENV.region]: "ap-northeast-2",
        [WAIT_ENV.controlPlaneInstanceId]: "i-0c0c0c0c0c0c0c0c0",
        [WAIT_ENV.workerGroup]: "k8s-mesh-workers",
      }),
    );
    expect(r.code).toBe(1);
    expect(r.output).toContain("The API server never answered: the control plane did not initialize (its bootstrap, kubeadm init, failed or never finished).");
    expect(r.output).toContain("aws ec2 get-console-output --region ap-northeast-2 --instance-id i-0c0c0c0c0c0c0c0c0 --latest --output text | grep k8s-bootstrap");
    expect(r.output).toContain("aws ssm start-session --region ap-northeast-2 --target i-0c0c0c0c0c0c0c0c0");
    expect(r.output).toContain("terraform -chdir=cdktf.out/stacks/network output admin_cidrs");
    expect(r.output).not.toContain("describe-scaling-activities");
  });

  it.concurrent("reports missing workers with the group's launch history, not as a control-plane failure", async () => {
    await withServer(answer(200, nodeList(2)), async (url) => {
      const r = await runProgram(
        env(url, { [WAIT_ENV.region]: "ap-northeast-2", [WAIT_ENV.controlPlaneInstanceId]: "i-0c0c0c0c0c0c0c0c0", [WAIT_ENV.workerGroup]: "k8s-mesh-workers" }),
      );
      expect(r.code).toBe(1);
      expect(r.output).toContain("aws autoscaling describe-scaling-activities --region ap-northeast-2 --auto-scaling-group-name k8s-mesh-workers --max-items 10");
      expect(r.output).not.toContain("never answered");
    });
  });

  it.concurrent("refuses incomplete input with exit code 2, printing no secret", async () => {
    const r = await runProgram({ [WAIT_ENV.apiServerUrl]: "https://127.0.0.1:1", [WAIT_ENV.clientKeyPem]: pki.clientKey });
    expect(r.code).toBe(2);
    expect(r.output).toContain("CLUSTER_CA_CERT_PEM is not set");
    expect(r.output).not.toContain("PRIVATE KEY");
  });
});

describe("the deploy hooks (scripts/deploy-hooks)", () => {
  const hooks = readdirSync(DEPLOY_HOOKS_DIR).map((f) => path.join(DEPLOY_HOOKS_DIR, f));

  it("holds the readiness program and the volume wait, each a CommonJS file", () => {
    expect(hooks).toEqual(expect.arrayContaining([WAIT_PROGRAM, VOLUME_WAIT_PROGRAM]));
    expect(hooks.every((f) => f.endsWith(".cjs"))).toBe(true);
  });

  it("type-check under strict JSDoc checking", () => {
    const tsc = path.join(__dirname, "..", "node_modules", ".bin", "tsc");
    const args = ["--noEmit", "--ignoreConfig", "--allowJs", "--checkJs", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node", "--skipLibCheck", ...hooks];
    expect(() => execFileSync(tsc, args, { stdio: "pipe" })).not.toThrow();
  });

  it("use only Node's built-in modules and each other", () => {
    for (const hook of hooks) {
      const text = readFileSync(hook, "utf8");
      expect(text).not.toMatch(/^import /m);
      const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] as string);
      expect(required.length).toBeGreaterThan(0);
      for (const m of required) {
        if (m.startsWith("node:")) continue;
        // Anything else is a sibling file, shipped in the same asset.
        expect(m).toMatch(/^\.\/[^/]+\.cjs$/);
        expect(hooks).toContain(path.join(DEPLOY_HOOKS_DIR, m));
      }
    }
  });
});
