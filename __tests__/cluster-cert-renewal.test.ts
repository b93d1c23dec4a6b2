/**
 * The control plane's certificate renewal (k8s-cert-renewal), run for real
 * (bash, openssl, base64, date) against a scratch /etc/kubernetes of
 * certificates made by openssl with chosen lifetimes. `kubeadm`, `kubectl`,
 * `aws` and `sleep` are stubs that log their calls; the kubeadm stub's
 * `certs renew all` re-issues every leaf for 365 days, as kubeadm does.
 * promtool checks the exported file's format.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describeWith, requireTool } from "./helpers/tools";
import { testConfig } from "./helpers/synth";
import { certRenewalScript } from "../stacks/cluster/userdata/bootstrap";
import { CERT_EXPIRY_METRIC, CERT_RENEW_BEFORE_DAYS, NODE_EXPORTER_TEXTFILE } from "../lib/certificates";

const config = testConfig();
const openssl = requireTool("openssl", "openssl");
const promtool = requireTool("promtool", "prometheus");
const tools = openssl === null || promtool === null ? null : "ok";

const LEAVES = ["apiserver", "apiserver-kubelet-client", "apiserver-etcd-client", "front-proxy-client", "etcd/server", "etcd/peer", "etcd/healthcheck-client"];
const CAS = ["ca", "front-proxy-ca", "etcd/ca"];
const KUBECONFIGS = ["admin", "super-admin", "controller-manager", "scheduler"];
const STATIC_PODS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

/** A self-signed certificate valid for `days` days from now, written to `crt` (one per lifetime, made once). */
const made = new Map<number, string>();
function makeCert(crt: string, days: number): void {
  let pem = made.get(days);
  if (pem === undefined) {
    pem = execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-days", String(days), "-subj", `/CN=expires-in-${days}-days`, "-keyout", "/dev/null",
    ], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    made.set(days, pem);
  }
  writeFileSync(crt, pem);
}

function notAfter(pem: string): number {
  const out = execFileSync("openssl", ["x509", "-noout", "-enddate"], { input: pem, encoding: "utf8" });
  return Math.floor(Date.parse(out.replace("notAfter=", "").trim()) / 1000);
}

function kubeconfig(crtFile: string): string {
  const b64 = readFileSync(crtFile).toString("base64");
  return `apiVersion: v1\nkind: Config\nusers:\n- name: x\n  user:\n    client-certificate-data: ${b64}\n    client-key-data: c2VjcmV0\n`;
}

const STUBS: Record<string, string> = {
  // `certs renew all`: every leaf and kubeconfig certificate re-issued for 365 days (unless told to do nothing).
  kubeadm: `#!/bin/bash
echo "kubeadm $*" >>"$STUB_LOG"
[[ "$1 $2 $3" == "certs renew all" ]] || exit 2
[[ "$KUBEADM_NOOP" == 1 ]] && exit 0
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj /CN=renewed \\
  -keyout /dev/null -out "$K8S_DIR/renewed.pem" 2>/dev/null
for f in ${LEAVES.join(" ")}; do cp "$K8S_DIR/renewed.pem" "$K8S_DIR/pki/$f.crt"; done
for c in ${KUBECONFIGS.join(" ")}; do
  [[ -f "$K8S_DIR/$c.conf" ]] || continue
  sed -i "s|client-certificate-data: .*|client-certificate-data: $(base64 -w0 <"$K8S_DIR/renewed.pem")|" "$K8S_DIR/$c.conf"
done
`,
  kubectl: `#!/bin/bash
echo "kubectl $* | manifests: $(cd "$K8S_DIR/manifests" && ls | tr '\\n' ' ')" >>"$STUB_LOG"
case "$*" in
  "get --raw=/readyz") [[ "$API_NOT_READY" == 1 ]] && exit 1; echo ok ;;
  "get configmap "*) [[ "$NO_LINKERD" == 1 ]] && { echo 'Error from server (NotFound): namespaces "linkerd" not found' >&2; exit 1; }; cat "$ANCHOR_PEM" ;;
  "get secret "*) [[ "$NO_LINKERD" == 1 ]] && { echo 'Error from server (NotFound)' >&2; exit 1; }; base64 -w0 <"$ISSUER_PEM" ;;
  *) exit 2 ;;
esac
`,
  aws: `#!/bin/bash
echo "aws $*" >>"$STUB_LOG"
cat "$ADMIN_PEM"
`,
  sleep: `#!/bin/bash
echo "sleep $*" >>"$STUB_LOG"
`,
};

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: string[];
  k8s: string;
  metrics: string | null;
  textfile: string;
}

/** Runs the script; `days` overrides a certificate's remaining days (default 300). */
function runRenewal(opts: { days?: Record<string, number>; env?: Record<string, string>; missing?: string[]; version?: "1.28" | "1.29" } = {}): Run {
  const dir = mkdtempSync(path.join(tmpdir(), "cert-renewal-"));
  const k8s = path.join(dir, "etc-kubernetes");
  const bin = path.join(dir, "bin");
  const textfile = path.join(dir, "textfile");
  for (const d of [bin, path.join(k8s, "pki", "etcd"), path.join(k8s, "manifests")]) mkdirSync(d, { recursive: true });
  for (const [name, body] of Object.entries(STUBS)) {
    writeFileSync(path.join(bin, name), body);
    chmodSync(path.join(bin, name), 0o755);
  }
  const days = (name: string) => opts.days?.[name] ?? 300;
  for (const f of [...LEAVES, ...CAS]) if (!opts.missing?.includes(f)) makeCert(path.join(k8s, "pki", `${f}.crt`), days(f));
  for (const c of KUBECONFIGS) {
    if (c === "super-admin" && opts.version === "1.28") continue;
    const crt = path.join(dir, `${c}.crt`);
    makeCert(crt, days(`${c}.conf`));
    writeFileSync(path.join(k8s, `${c}.conf`), kubeconfig(crt));
  }
  for (const p of STATIC_PODS) writeFileSync(path.join(k8s, "manifests", `${p}.yaml`), `kind: Pod\nmetadata: {name: ${p}}\n`);
  for (const [name, d] of [["admin.pem", days("terraform-admin")], ["anchor.pem", days("linkerd-trust-anchor")], ["issuer.pem", days("linkerd-issuer")]] as const) {
    makeCert(path.join(dir, name), d);
  }
  const script = path.join(dir, "k8s-cert-renewal");
  writeFileSync(script, certRenewalScript(config, { awsCli: "aws", kubernetesDir: k8s, textfileDir: textfile }));
  const log = path.join(dir, "calls.log");
  writeFileSync(log, "");
  const r = spawnSync("bash", [script], {
    encoding: "utf8",
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      STUB_LOG: log,
      K8S_DIR: k8s,
      ADMIN_PEM: path.join(dir, "admin.pem"),
      ANCHOR_PEM: path.join(dir, "anchor.pem"),
      ISSUER_PEM: path.join(dir, "issuer.pem"),
      // `openssl x509` (OpenSSL 3.0) loads the system CA bundle on every call although reading a
      // certificate's notAfter needs no trust store: an empty one makes each call ~15 ms cheaper.
      SSL_CERT_FILE: "/dev/null",
      ...opts.env,
    },
  });
  const file = path.join(textfile, NODE_EXPORTER_TEXTFILE.fileName);
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    calls: readFileSync(log, "utf8").split("\n").filter(Boolean),
    k8s,
    metrics: existsSync(file) ? readFileSync(file, "utf8") : null,
    textfile,
  };
}

/** certificate label → value, from the exported file. */
function expiries(metrics: string | null): Map<string, { owner: string; value: number }> {
  const out = new Map<string, { owner: string; value: number }>();
  for (const line of (metrics ?? "").split("\n")) {
    const m = line.match(new RegExp(`^${CERT_EXPIRY_METRIC}\\{certificate="([^"]+)",owner="([^"]+)"\\} (\\d+)$`));
    if (m) out.set(m[1] as string, { owner: m[2] as string, value: Number(m[3]) });
  }
  return out;
}

const DAY = 86400;
const now = () => Math.floor(Date.now() / 1000);

describeWith(tools)("certificate renewal (k8s-cert-renewal)", () => {
  it("exports the expiry of every certificate the platform depends on, each with its owner, in a file promtool accepts", () => {
    const r = runRenewal({ days: { "linkerd-issuer": 200, "terraform-admin": 7 } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const e = expiries(r.metrics);
    const kubeadm = [...LEAVES.map((f) => f.replace("/", "-")), "admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"];
    for (const c of kubeadm) expect(e.get(c)?.owner).toBe("kubeadm");
    for (const c of CAS) expect(e.get(c.replace("/", "-"))?.owner).toBe("cluster-ca");
    expect(e.get("terraform-admin")?.owner).toBe("terraform-admin");
    expect(e.get("linkerd-trust-anchor")?.owner).toBe("linkerd");
    expect(e.size).toBe(kubeadm.length + CAS.length + 3);
    // The values are the certificates' own notAfter.
    const issuer = readFileSync(path.join(path.dirname(r.k8s), "issuer.pem"), "utf8");
    expect(e.get("linkerd-issuer")?.value).toBe(notAfter(issuer));
    expect(Math.abs((e.get("terraform-admin")?.value ?? 0) - (now() + 7 * DAY))).toBeLessThan(120);
    // Nothing to renew: kubeadm is never called and no static pod is touched.
    expect(r.calls.filter((c) => c.startsWith("kubeadm") || c.startsWith("sleep"))).toEqual([]);
    // The exposition format as Prometheus parses it.
    const check = spawnSync(promtool as string, ["check", "metrics"], { input: r.metrics ?? "", encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
    // Only the final file is left in the collector's folder (readable by node-exporter).
    expect(readdirSync(r.textfile)).toEqual([NODE_EXPORTER_TEXTFILE.fileName]);
  });

  it(`renews every kubeadm certificate when one has less than ${CERT_RENEW_BEFORE_DAYS} days left, restarting etcd, the API server, controller-manager and scheduler one at a time`, () => {
    const r = runRenewal({ days: { "etcd/peer": CERT_RENEW_BEFORE_DAYS - 1 } });
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("kubeadm"))).toEqual(["kubeadm certs renew all"]);
    expect(r.stdout).toMatch(/a kubeadm certificate expires in 8[89] days: renewing all of them/);
    // Each restart takes one manifest away, then waits for the API server with all four back in place.
    const readyChecks = r.calls.filter((c) => c.startsWith("kubectl get --raw=/readyz"));
    expect(readyChecks).toHaveLength(4);
    for (const c of readyChecks) expect(c).toContain("manifests: etcd.yaml kube-apiserver.yaml kube-controller-manager.yaml kube-scheduler.yaml ");
    expect(r.stdout.match(/^restarted .*/gm)).toEqual(STATIC_PODS.map((p) => `restarted ${p}`));
    expect(r.calls.filter((c) => c.startsWith("sleep"))).toEqual(Array(8).fill("sleep 30"));
    // The export shows the renewed certificates, a year out.
    const e = expiries(r.metrics);
    for (const c of ["etcd-peer", "apiserver", "admin.conf", "super-admin.conf"]) expect(e.get(c)?.value).toBeGreaterThan(now() + 364 * DAY);
  });

  it(`leaves certificates with ${CERT_RENEW_BEFORE_DAYS} days or more alone`, () => {
    const r = runRenewal({ days: { apiserver: CERT_RENEW_BEFORE_DAYS + 1 } });
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("kubeadm"))).toEqual([]);
  });

  it("looks at the client certificates inside the kubeconfigs too (admin.conf expiring renews), and needs no super-admin.conf before 1.29", () => {
    const r = runRenewal({ days: { "admin.conf": 10 }, version: "1.28" });
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("kubeadm"))).toEqual(["kubeadm certs renew all"]);
    expect(expiries(r.metrics).has("super-admin.conf")).toBe(false);
  });

  it("fails, writes nothing and puts every manifest back when renewal leaves a certificate near expiry", () => {
    const r = runRenewal({ days: { apiserver: 20 }, env: { KUBEADM_NOOP: "1" } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/kubeadm certs renew all left a certificate expiring in (19|20) days/);
    expect(r.metrics).toBeNull();
    expect(readdirSync(path.join(r.k8s, "manifests")).sort()).toEqual(STATIC_PODS.map((p) => `${p}.yaml`));
  });

  it("puts the manifest back and fails when the API server does not come back", () => {
    const r = runRenewal({ days: { apiserver: 20 }, env: { API_NOT_READY: "1" } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("the API server did not become ready");
    expect(readdirSync(path.join(r.k8s, "manifests")).sort()).toEqual(STATIC_PODS.map((p) => `${p}.yaml`));
    expect(r.metrics).toBeNull();
  });

  it("fails without writing when a kubeadm certificate cannot be read (the stale-data alert takes over)", () => {
    const r = runRenewal({ missing: ["apiserver-etcd-client"] });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("apiserver-etcd-client.crt");
    expect(r.metrics).toBeNull();
  });

  it("still exports the rest before Linkerd is installed, and says what it could not read", () => {
    const r = runRenewal({ env: { NO_LINKERD: "1" } });
    expect(r.status).toBe(0);
    const e = expiries(r.metrics);
    expect(e.has("linkerd-issuer")).toBe(false);
    expect(e.has("linkerd-trust-anchor")).toBe(false);
    expect(e.has("apiserver")).toBe(true);
    expect(r.stderr).toContain("cannot read the linkerd-issuer certificate; not reported");
  });
});
