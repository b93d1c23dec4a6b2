/**
 * Each node's user-data, exactly as synthesized, run end to end under bash in
 * a scratch root with every external command faked (helpers/userdata-harness.ts):
 * the order of side effects, the files written, the arguments passed, and
 * the failure paths. The golden files show that the text changed; these
 * tests show that the script still does its job.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, createPublicKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { parseAllDocuments } from "yaml";
import { oneResource, synthApp, testConfig } from "./helpers/synth";
import { describeWith, itWith, requireTool } from "./helpers/tools";
import {
  commandLine,
  defaultScenario,
  EXAMPLE_JOIN_TOKEN,
  EXAMPLE_PUBLIC_IP,
  EXAMPLE_SERVICE_ACCOUNT_ISSUER_BUCKET,
  runBootstrap,
  verifyUnits,
  type Run,
  type Scenario,
} from "./helpers/userdata-harness";
import { PORTS } from "../lib/ports";
import { OIDC_DOCUMENT_KEYS } from "../lib/workload-identity";
import { ETCD_BACKUP_METRICS, ETCD_BACKUP_TEXTFILE, ETCD_SNAPSHOT_OBJECT } from "../lib/backups";
import { NODE_EXPORTER_TEXTFILE } from "../lib/certificates";
import { TEMPLATE_DIR } from "../stacks/cluster/userdata/render";
import { certRenewalScript, etcdBackupScript, nodeCleanupScript, refreshJoinTokenScript, workerUserData } from "../stacks/cluster/userdata/bootstrap";
import { controlPlanePrivateIp, parameterNames, terraformAdminIdentity, workerGroupNames } from "../stacks/cluster/settings";
import { clusterKeyAlias } from "../stacks/cluster/cluster-key";

const bash = requireTool("bash", "bash");
const openssl = requireTool("openssl", "openssl");
const systemdAnalyze = requireTool("systemd-analyze", "systemd");

const app = synthApp();
const config = app.config;
const params = parameterNames(config);
const cluster = app.stack("cluster");
/** What cloud-init hands to bash: the control plane's gzip'd user-data, a worker's plain one. */
const controlPlaneScript = gunzipSync(Buffer.from(String(oneResource(cluster, "aws_instance").user_data_base64), "base64")).toString("utf8");
const workerScript = Buffer.from(String(oneResource(cluster, "aws_launch_template").user_data), "base64").toString("utf8");

/** A worker's instance metadata (another subnet, another instance than the control plane). */
const WORKER_IMDS = { "local-ipv4": "10.0.2.20", "placement/availability-zone": `${config.region}c`, "instance-id": "i-0fedcba9876543210" };
/** The kubeadm package version pkgs.k8s.io publishes for a Kubernetes release: `<version>-1.1` (design notes; apt-cache madison on pkgs.k8s.io). */
const PACKAGE_VERSION = `${config.cluster.kubernetesVersion}-1.1`;
const TIMERS = ["k8s-refresh-join-token", "k8s-etcd-backup", "k8s-node-cleanup", "k8s-cert-renewal"] as const;

function scenario(extra: Scenario = {}, base = defaultScenario(config)): Scenario {
  return { ...base, ...extra, ssm: { ...base.ssm, ...extra.ssm }, imds: { ...base.imds, ...extra.imds } };
}

/** `sha256:<hex>` of the DER SubjectPublicKeyInfo of a PEM certificate, computed here (not by the script). */
function spkiHash(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

function yamlDocs(text: string | undefined): Array<Record<string, any>> {
  if (text === undefined) throw new Error("no file");
  return parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);
}

/** A readonly value of a rendered script's header. */
function headerValue(script: string, name: string): string {
  const m = new RegExp(`^readonly ${name}='([^']*)'$`, "m").exec(script);
  if (!m) throw new Error(`no ${name} in the script header`);
  return m[1] as string;
}

/** A timespan as systemd parses it, in seconds (`systemd-analyze timespan`). */
function systemdSeconds(span: string): number {
  const out = execFileSync(systemdAnalyze as string, ["timespan", span], { encoding: "utf8" });
  const us = /μs:\s*(\d+)/.exec(out);
  if (!us) throw new Error(`systemd-analyze timespan printed no μs for ${span}: ${out}`);
  return Number(us[1]) / 1e6;
}

/** A key of a unit file's section, as written (last assignment wins, as in systemd). */
function unitValue(unit: string | undefined, key: string): string | undefined {
  const values = (unit ?? "").split("\n").filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
  return values[values.length - 1];
}

/**
 * The control plane's bootstrap with AWS answering as it should: run once and
 * read by every test about that run (a run's recording only grows by being read).
 */
let healthyControlPlane: Run | undefined;
function healthyControlPlaneRun(): Run {
  healthyControlPlane ??= runBootstrap(controlPlaneScript, scenario());
  return healthyControlPlane;
}

/** The calls starting with these prefixes happen in this order (each found after the one before it). */
function expectOrder(run: Run, ...prefixes: string[]): void {
  const lines = run.calls.map(commandLine);
  let from = 0;
  for (const p of prefixes) {
    const i = lines.findIndex((l, n) => n >= from && l.startsWith(p));
    expect({ call: p, afterThePreviousOne: i >= 0 }).toEqual({ call: p, afterThePreviousOne: true });
    from = i + 1;
  }
}

describeWith(bash && openssl && systemdAnalyze)("control-plane user-data, run end to end", () => {
  let run: Run;
  beforeAll(() => {
    run = healthyControlPlaneRun();
  });

  it("finishes with exit 0 and says the control plane is ready", () => {
    expect({ status: run.status, stderr: run.status === 0 ? "" : run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(run.stderr).toMatch(/control plane ready for workers/);
  });

  it("loads br_netfilter before applying the sysctls, so the bridge settings take effect", () => {
    expectOrder(run, "modprobe overlay", "modprobe br_netfilter", "sysctl --system");
    expect(run.state("sysctls")).toEqual(
      expect.arrayContaining(["net.bridge.bridge-nf-call-iptables=1", "net.bridge.bridge-nf-call-ip6tables=1", "net.ipv4.ip_forward=1"]),
    );
    // And again at every boot.
    expect(run.file("/etc/modules-load.d/kubernetes.conf")?.split("\n")).toEqual(expect.arrayContaining(["overlay", "br_netfilter"]));
  });

  it("turns swap off now and for every boot, leaving the other fstab lines alone", () => {
    expect(run.indexOf("swapoff -a")).toBeGreaterThanOrEqual(0);
    expect(run.indexOf("swapoff -a")).toBeLessThan(run.indexOf("systemctl enable kubelet"));
    const fstab = (run.file("/etc/fstab") ?? "").split("\n");
    expect(fstab).toContain("#/swap.img\tnone\tswap\tsw\t0\t0");
    expect(fstab).toContain("LABEL=cloudimg-rootfs\t/\t ext4\tdiscard,commit=30,errors=remount-ro\t0 1");
  });

  it("writes containerd's configuration before restarting it, and containerd loads SystemdCgroup = true", () => {
    expect(run.file("/etc/containerd/config.toml")).toMatch(/^\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.runc\.options\]\n {2}SystemdCgroup = true$/m);
    expectOrder(run, "systemctl restart containerd", "containerd config dump");
  });

  it("syncs the clock before anything that checks a certificate", () => {
    expectOrder(run, "systemctl enable --now chrony", "chronyc waitsync", "aws ssm get-parameter", "kubeadm init");
  });

  it("installs kubelet, kubeadm and kubectl pinned from the pkgs.k8s.io repository whose key it stored, and holds them", () => {
    // Kept as downloaded (ASCII-armoured): apt reads such a key from a signed-by
    // file whose name ends in .asc (sources.list(5), "Signed-By").
    const key = "/etc/apt/keyrings/kubernetes-apt-keyring.asc";
    expect(run.file(key)).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    const minor = config.cluster.kubernetesVersion.split(".").slice(0, 2).join(".");
    expect(run.file("/etc/apt/sources.list.d/kubernetes.list")).toBe(`deb [signed-by=${key}] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /\n`);
    expect(run.state("package-versions")).toEqual(["kubelet", "kubeadm", "kubectl"].map((p) => `${p}=${PACKAGE_VERSION}`));
    expect(run.state("held")).toEqual(["kubelet", "kubeadm", "kubectl"]);
    expect(run.callsTo("gpg")).toEqual([]);
    expectOrder(run, `curl -fsSL -o ${key} https://pkgs.k8s.io/core:/stable:/v${minor}/deb/Release.key`, "apt-get -q -o DPkg::Lock::Timeout=300 update", "apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends containerd chrony");
  });

  it("reads its addresses over IMDSv2 and every parameter in the cluster's region", () => {
    for (const c of run.callsTo("aws ssm")) expect(c.args.slice(2, 4)).toEqual(["--region", config.region]);
    expect(run.callsTo("aws ssm get-parameter").map((c) => c.args[5])).toEqual([params.caCert, params.caKey, params.secretsEncryptionKey, params.serviceAccountKey, params.serviceAccountIssuer, params.controlPlanePublicIp, params.joinToken]);
    expect(run.indexOf("snap install aws-cli --classic")).toBeLessThan(run.indexOf("aws ssm"));
  });

  it("puts the cluster CA from SSM in place for kubeadm, the key readable by root only", () => {
    const ssm = defaultScenario(config).ssm;
    expect(run.file("/etc/kubernetes/pki/ca.crt")).toBe(`${ssm[params.caCert]}\n`);
    expect(run.file("/etc/kubernetes/pki/ca.key")).toBe(`${ssm[params.caKey]}\n`);
    expect([run.mode("/etc/kubernetes/pki/ca.crt"), run.mode("/etc/kubernetes/pki/ca.key"), run.mode("/etc/kubernetes/pki")]).toEqual(["644", "600", "700"]);
    expect(run.indexOf("kubeadm init")).toBeGreaterThan(run.indexOf(`aws ssm get-parameter --region ${config.region} --name ${params.caKey}`));
  });

  it("hands kubeadm init a private file holding the token, addresses and provider ID the node read, then removes it", () => {
    const [init, clusterConfig] = yamlDocs(run.captured("kubeadm-init.yaml"));
    expect(run.captured("kubeadm-init.yaml.mode")?.trim()).toBe("600");
    expect(init?.bootstrapTokens?.[0]?.token).toBe(EXAMPLE_JOIN_TOKEN);
    expect(init?.nodeRegistration?.kubeletExtraArgs?.["provider-id"] ?? init?.nodeRegistration?.kubeletExtraArgs).toEqual(`aws:///${config.region}a/i-0123456789abcdef0`);
    expect(clusterConfig?.apiServer?.certSANs).toEqual([EXAMPLE_PUBLIC_IP, controlPlanePrivateIp(config)]);
    expect(run.callsTo("kubeadm init").map(commandLine)).toEqual(["kubeadm init --config /etc/kubernetes/kubeadm-init.yaml --skip-token-print"]);
    expect(run.file("/etc/kubernetes/kubeadm-init.yaml")).toBeUndefined();
  });

  it("binds the Terraform admin certificate's own group (not system:masters) to cluster-admin right after kubeadm init", () => {
    const { group, binding } = terraformAdminIdentity(config);
    expect(run.state("clusterrolebindings")).toEqual([`${binding} cluster-admin ${group}`]);
    expectOrder(run, "kubeadm init", "kubectl --kubeconfig /etc/kubernetes/admin.conf create clusterrolebinding");
    // The certificate Terraform issues carries exactly that group.
    const csr = oneResource(cluster, "tls_cert_request", "admin");
    expect(csr.subject).toEqual([expect.objectContaining({ organization: group })]);
  });

  it("fails the bootstrap when the binding cannot be created (the readiness gate would never pass otherwise)", () => {
    const r = runBootstrap(controlPlaneScript, scenario({ fail: { "kubectl create clusterrolebinding": "always" } }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("giving up on 'bind_admin_group'");
  });

  it("a binding the API server stored although its answer was lost is not a failure: the retry finds it and the bootstrap goes on to the timers", () => {
    const { group, binding } = terraformAdminIdentity(config);
    const r = runBootstrap(controlPlaneScript, scenario({ fail: { "kubectl create clusterrolebinding answer lost": 1 } }));
    expect({ status: r.status, stderr: r.status === 0 ? "" : r.stderr.slice(-1500) }).toEqual({ status: 0, stderr: "" });
    expect(r.callsTo("kubectl --kubeconfig /etc/kubernetes/admin.conf create clusterrolebinding")).toHaveLength(2);
    expect(r.state("clusterrolebindings")).toEqual([`${binding} cluster-admin ${group}`]);
    expect(r.state("started")).toContain("k8s-refresh-join-token.timer");
  });

  it("signs service-account tokens with Terraform's key (sa.key 0600, sa.pub its public half) under the S3 issuer", () => {
    const ssm = defaultScenario(config).ssm;
    expect(run.file("/etc/kubernetes/pki/sa.key")).toBe(`${ssm[params.serviceAccountKey]}\n`);
    expect(run.mode("/etc/kubernetes/pki/sa.key")).toBe("600");
    const pub = createPublicKey(ssm[params.serviceAccountKey] as string).export({ type: "spki", format: "pem" }).toString();
    expect(run.file("/etc/kubernetes/pki/sa.pub")).toBe(pub);
    expect(run.indexOf("kubeadm init")).toBeGreaterThan(run.indexOf(`aws ssm get-parameter --region ${config.region} --name ${params.serviceAccountKey}`));
    const [, clusterConfig] = yamlDocs(run.captured("kubeadm-init.yaml"));
    const args = (clusterConfig as { apiServer: { extraArgs: Record<string, string> } }).apiServer.extraArgs;
    expect(args["service-account-issuer"]).toBe(ssm[params.serviceAccountIssuer]);
  });

  it("publishes what the API server serves at the two discovery paths to exactly those keys of the issuer's bucket, after init", () => {
    const bucket = `s3://${EXAMPLE_SERVICE_ACCOUNT_ISSUER_BUCKET}/`;
    expect(run.state("s3-uploads")).toEqual([`${bucket}${OIDC_DOCUMENT_KEYS.discovery}`, `${bucket}${OIDC_DOCUMENT_KEYS.jwks}`]);
    expect(run.indexOf("aws s3 cp")).toBeGreaterThan(run.indexOf("kubeadm init"));
    for (const c of run.callsTo("aws s3 cp")) expect(c.args).toEqual(expect.arrayContaining(["--content-type", "application/json", "--region", config.region]));
    // STS reads the keys from the jwks_uri of the published document: the bucket's public JWKS, not the private API server.
    const issuer = defaultScenario(config).ssm[params.serviceAccountIssuer];
    const discovery = JSON.parse(run.state(`s3/${`${bucket}${OIDC_DOCUMENT_KEYS.discovery}`.replace(/\//g, "%")}`).join("\n")) as { issuer: string; jwks_uri: string };
    expect(discovery).toEqual(expect.objectContaining({ issuer, jwks_uri: `${issuer}/${OIDC_DOCUMENT_KEYS.jwks}` }));
    expect(run.callsTo("kubectl").map(commandLine)).toEqual(expect.arrayContaining([
      "kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /.well-known/openid-configuration",
      "kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /openid/v1/jwks",
    ]));
  });

  it("stops the bootstrap when the issuer parameter holds no S3 https address, before kubeadm init", () => {
    const r = runBootstrap(controlPlaneScript, scenario({ ssm: { [params.serviceAccountIssuer]: "https://kubernetes.default.svc.cluster.local" } }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`FATAL: the parameter ${params.serviceAccountIssuer} does not hold an https:// S3 bucket address`);
    expect(r.callsTo("kubeadm init")).toEqual([]);
  });

  it("fails the bootstrap when the documents can never be uploaded (no silent issuer without keys)", () => {
    const r = runBootstrap(controlPlaneScript, scenario({ fail: { "aws s3 cp": "always" } }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("giving up on 'publish_oidc_document'");
  });

  it("never puts the join token or the CA key on a command line", () => {
    const lines = run.calls.map(commandLine).join("\n");
    expect(lines).not.toContain(EXAMPLE_JOIN_TOKEN);
    expect(lines).not.toContain("BEGIN PRIVATE KEY");
    expect(run.stderr + run.stdout).not.toContain(EXAMPLE_JOIN_TOKEN);
  });

  it("installs each timer's helper exactly as rendered, executable, and enables and starts every timer after a daemon-reload", () => {
    const helpers: Record<(typeof TIMERS)[number], string> = {
      "k8s-refresh-join-token": refreshJoinTokenScript(config),
      "k8s-etcd-backup": etcdBackupScript(config),
      "k8s-node-cleanup": nodeCleanupScript(config),
      "k8s-cert-renewal": certRenewalScript(config),
    };
    for (const name of TIMERS) {
      expect(run.file(`/usr/local/sbin/${name}`)).toBe(helpers[name]);
      expect(run.mode(`/usr/local/sbin/${name}`)).toBe("755");
      expect(run.callsTo(`systemctl enable --now ${name}.timer`)).toHaveLength(1);
    }
    expect(run.state("enabled")).toEqual(expect.arrayContaining(TIMERS.map((t) => `${t}.timer`)));
    expect(run.state("started")).toEqual(expect.arrayContaining(TIMERS.map((t) => `${t}.timer`)));
    expect(run.state("started-stale")).toEqual([]);
  });

  it("enables and starts every timer it writes, not only the ones listed above", () => {
    const timers = readdir(run, "/etc/systemd/system").filter((f) => f.endsWith(".timer"));
    expect(timers).toEqual(expect.arrayContaining(TIMERS.map((t) => `${t}.timer`)));
    expect(run.state("started")).toEqual(expect.arrayContaining(timers));
    expect(run.state("enabled")).toEqual(expect.arrayContaining(timers));
  });

  it("writes units that systemd-analyze verify accepts without a single warning", () => {
    const units = readdir(run, "/etc/systemd/system").map((f) => `/etc/systemd/system/${f}`);
    expect(units.length).toBeGreaterThanOrEqual(TIMERS.length * 2);
    expect(verifyUnits(systemdAnalyze as string, run, units)).toEqual({ status: 0, output: "" });
  });

  it("refreshes the join token well before it expires: a worker always finds one valid for its whole join window", () => {
    const timer = run.file("/etc/systemd/system/k8s-refresh-join-token.timer");
    const period = systemdSeconds(unitValue(timer, "OnUnitActiveSec") ?? "missing");
    const jitter = systemdSeconds(unitValue(timer, "RandomizedDelaySec") ?? "0");
    // The lifetime the helper actually asks kubeadm for.
    const refresh = runBootstrap(run.file("/usr/local/sbin/k8s-refresh-join-token") as string, scenario({ packages: ["kubeadm", "aws-cli"] }));
    const ttlArg = refresh.callsTo("kubeadm token create")[0]?.args[3] ?? "missing";
    const ttl = systemdSeconds(ttlArg);
    const joinWindow = Number(headerValue(workerScript, "JOIN_TIMEOUT_SECONDS"));
    // The newest token is at most period + jitter old; it must outlive a worker's whole join attempt.
    expect(ttl - period - jitter).toBeGreaterThanOrEqual(joinWindow);
  });
});

describeWith(bash && openssl && systemdAnalyze)("the control plane's timer helpers, run as installed", () => {
  let installed: Run;
  beforeAll(() => {
    installed = healthyControlPlaneRun();
  });
  const helper = (name: string) => installed.file(`/usr/local/sbin/${name}`) as string;

  it("refresh: stores the token kubeadm created in the join-token parameter, passed through a file, and leaves no file behind", () => {
    const r = runBootstrap(helper("k8s-refresh-join-token"), scenario({ packages: ["kubeadm", "aws-cli"], env: { FAKE_NEW_TOKEN: "k3n9zq.0f1e2d3c4b5a6978" } }));
    expect(r.status).toBe(0);
    expect(r.ssm(params.joinToken)).toBe("k3n9zq.0f1e2d3c4b5a6978");
    expect(r.calls.map(commandLine).join("\n")).not.toContain("k3n9zq.0f1e2d3c4b5a6978");
    const put = r.callsTo("aws ssm put-parameter")[0];
    expect(put?.args).toEqual(expect.arrayContaining(["--name", params.joinToken, "--type", "SecureString", "--overwrite", "--region", config.region]));
    expect(readdir(r, "/tmp")).toEqual([]);
  });

  it("refresh: gives up with a failure, after its retries, when SSM never takes the token", () => {
    const r = runBootstrap(helper("k8s-refresh-join-token"), scenario({ packages: ["kubeadm", "aws-cli"], fail: { "aws ssm put-parameter": "always" } }));
    expect(r.status).not.toBe(0);
    expect(r.callsTo("aws ssm put-parameter").length).toBeGreaterThan(1);
    expect(r.ssm(params.joinToken)).toBe(EXAMPLE_JOIN_TOKEN);
  });

  it("refresh: stores nothing when kubeadm prints no token", () => {
    const r = runBootstrap(helper("k8s-refresh-join-token"), scenario({ packages: ["kubeadm", "aws-cli"], env: { FAKE_NEW_TOKEN: "" } }));
    expect(r.status).not.toBe(0);
    expect(r.callsTo("aws ssm put-parameter")).toEqual([]);
  });

  const backupTextfile = `${NODE_EXPORTER_TEXTFILE.hostDir}/${ETCD_BACKUP_TEXTFILE}`;
  /** One successful backup run, read by the tests about a backup that works. */
  let goodBackup: Run | undefined;
  const goodBackupRun = () => (goodBackup ??= runBootstrap(helper("k8s-etcd-backup"), scenario({ packages: ["cri-tools", "aws-cli"] })));

  it("etcd backup: checks the snapshot, then uploads it as a new version of the one snapshot object SSM's location names, and removes the local copy", () => {
    const r = goodBackupRun();
    expect({ status: r.status, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ status: 0, stderr: "" });
    const save = r.calls.findIndex((c) => c.cmd === "crictl" && c.args.includes("save"));
    const status = r.calls.findIndex((c) => c.cmd === "crictl" && c.args.includes("etcdutl"));
    expect(save).toBeGreaterThanOrEqual(0);
    expect(save).toBeLessThan(status);
    expect(status).toBeLessThan(r.indexOf("aws s3 cp"));
    const [cp] = r.callsTo("aws s3 cp");
    const location = defaultScenario(config).ssm[params.etcdBackupLocation] as string;
    const snapshot = r.calls[save]?.args.at(-1) as string;
    expect(cp?.args.at(-2)).toBe(snapshot);
    // One key for every snapshot: the bucket's versions and its count-based rule keep the history.
    expect(cp?.args.at(-1)).toBe(`${location}${ETCD_SNAPSHOT_OBJECT}`);
    const metadata = cp?.args[(cp?.args.indexOf("--metadata") ?? -2) + 1] ?? "";
    expect(metadata).toMatch(new RegExp(`^node=[^,]+,taken=\\d+,snapshot=${path.basename(snapshot).replace(/^backup-/, "").replace(/\./g, "\\.")}$`));
    expect(cp?.args).toEqual(expect.arrayContaining(["--region", config.region]));
    // Encrypted with the cluster key, named by its alias (S3 PutObject accepts a key alias), whatever the bucket's default.
    expect(commandLine(cp!)).toContain(`--sse aws:kms --sse-kms-key-id ${clusterKeyAlias(config)} `);
    expect(r.state("s3-uploads")).toEqual([cp?.args.at(-1)]);
    expect(r.file(snapshot)).toBeUndefined();
  });

  it("etcd backup: after the upload, records the snapshot's time and size for node-exporter's textfile collector", () => {
    const r = goodBackupRun();
    expect(r.status).toBe(0);
    const taken = Number(/taken=(\d+)/.exec(r.callsTo("aws s3 cp")[0]?.args.join(" ") ?? "")?.[1]);
    const text = r.file(backupTextfile) ?? "";
    expect(text).toContain(`# TYPE ${ETCD_BACKUP_METRICS.lastSuccess} gauge\n${ETCD_BACKUP_METRICS.lastSuccess} ${taken}\n`);
    expect(text).toMatch(new RegExp(`^${ETCD_BACKUP_METRICS.lastSize} \\d+$`, "m"));
    expect(Math.abs(taken - Date.now() / 1000)).toBeLessThan(600);
    expect(r.mode(backupTextfile)).toBe("644");
    // Nothing half-written is left beside it.
    expect(readdir(r, NODE_EXPORTER_TEXTFILE.hostDir)).toEqual([ETCD_BACKUP_TEXTFILE]);
  });

  it("etcd backup: a snapshot that fails its integrity check is never uploaded, and the run fails", () => {
    const r = runBootstrap(helper("k8s-etcd-backup"), scenario({ packages: ["cri-tools", "aws-cli"], fail: { "etcdutl snapshot status": "always" } }));
    expect(r.status).not.toBe(0);
    expect(r.callsTo("aws s3 cp")).toEqual([]);
    expect(readdir(r, "/var/lib/etcd")).toEqual([]);
    expect(r.file(backupTextfile)).toBeUndefined();
  });

  it("etcd backup: fails when the upload never succeeds, and when no etcd container runs", () => {
    const upload = runBootstrap(helper("k8s-etcd-backup"), scenario({ packages: ["cri-tools", "aws-cli"], fail: { "aws s3 cp": "always" } }));
    expect(upload.status).not.toBe(0);
    expect(upload.callsTo("aws s3 cp").length).toBeGreaterThan(1);
    // A failed upload records no success: the backup alerts see the time of the last good one.
    expect(upload.file(backupTextfile)).toBeUndefined();
    const noEtcd = runBootstrap(helper("k8s-etcd-backup"), scenario({ packages: ["cri-tools", "aws-cli"], fail: { "crictl ps": "always" } }));
    expect(noEtcd.status).not.toBe(0);
    expect(noEtcd.stderr).toMatch(/no running etcd container/);
  });
});

function readdir(run: Run, dir: string): string[] {
  const out = spawnSync("ls", ["-A", path.join(run.root, dir)], { encoding: "utf8" });
  return out.stdout.split("\n").filter((l) => l.length > 0);
}

describeWith(bash && openssl)("worker user-data, run end to end", () => {
  const workerScenario = (extra: Scenario = {}) => scenario({ ...extra, imds: { ...WORKER_IMDS, ...extra.imds } });
  let run: Run;
  beforeAll(() => {
    run = runBootstrap(workerScript, workerScenario());
  });

  it("finishes with exit 0 after joining", () => {
    expect({ status: run.status, stderr: run.status === 0 ? "" : run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(run.stderr).toMatch(/joined the cluster as a worker/);
  });

  it("probes the API server at the control plane's address on the port from the port table, trusting only the CA it wrote", () => {
    const ca = defaultScenario(config).ssm[params.caCert] as string;
    expect(run.file("/etc/kubeadm-bootstrap/ca.crt")).toBe(`${ca}\n`);
    const probes = run.calls.filter((c) => c.cmd === "curl" && String(c.args.at(-1)).endsWith("/livez"));
    expect(probes.map((c) => c.args.at(-1))).toEqual([`https://${controlPlanePrivateIp(config)}:${PORTS.kubeApiServer.port}/livez`]);
    expect(probes[0]?.args).toEqual(expect.arrayContaining(["--cacert", "/etc/kubeadm-bootstrap/ca.crt"]));
    expectOrder(run, `aws ssm get-parameter --region ${config.region} --name ${params.caCert}`, "curl -fsS --max-time 5 --cacert", "kubeadm join");
  });

  it("pins the hash of the CA it wrote, with the token SSM holds, in a private file it removes after the join", () => {
    const [join] = yamlDocs(run.captured("kubeadm-join.yaml"));
    const ca = run.file("/etc/kubeadm-bootstrap/ca.crt") as string;
    expect(join?.discovery?.bootstrapToken).toEqual({
      apiServerEndpoint: `${controlPlanePrivateIp(config)}:${PORTS.kubeApiServer.port}`,
      token: EXAMPLE_JOIN_TOKEN,
      caCertHashes: [spkiHash(ca)],
    });
    expect(join?.nodeRegistration?.kubeletExtraArgs?.["provider-id"] ?? join?.nodeRegistration?.kubeletExtraArgs).toEqual(`aws:///${config.region}c/i-0fedcba9876543210`);
    expect(run.captured("kubeadm-join.yaml.mode")?.trim()).toBe("600");
    expect(run.file("/etc/kubeadm-bootstrap/join.yaml")).toBeUndefined();
  });

  it("completes its group's launch hook with CONTINUE, for its own instance, only once it has joined", () => {
    const { group, launchHook } = workerGroupNames(config);
    expect(run.callsTo("aws autoscaling").map(commandLine)).toEqual([
      `aws autoscaling complete-lifecycle-action --region ${config.region} --auto-scaling-group-name ${group} ` +
        `--lifecycle-hook-name ${launchHook} --instance-id ${WORKER_IMDS["instance-id"]} --lifecycle-action-result CONTINUE`,
    ]);
    expect(run.state("lifecycle-completions")).toEqual([`${group} ${launchHook} ${WORKER_IMDS["instance-id"]} CONTINUE`]);
    expectOrder(run, "kubeadm join", "aws autoscaling complete-lifecycle-action");
    expect(run.stderr.trim().split("\n").pop()).toMatch(/launch hook .* done: the group counts this worker as in service$/);
  });

  it("never reads the CA key, and never puts the token on a command line", () => {
    expect(run.calls.map(commandLine).join("\n")).not.toContain(params.caKey);
    expect(run.calls.map(commandLine).join("\n")).not.toContain(EXAMPLE_JOIN_TOKEN);
  });

  it("with a CA whose key differs from the one the hash pins, the pinned hash follows the CA file SSM served", () => {
    const ecdsa = readFileSync(path.join(__dirname, "fixtures", "cluster", "ca-ecdsa.crt"), "utf8");
    const r = runBootstrap(workerScript, workerScenario({ ssm: { [params.caCert]: ecdsa.trimEnd() }, caCert: ecdsa }));
    expect(r.status).toBe(0);
    expect(yamlDocs(r.captured("kubeadm-join.yaml"))[0]?.discovery?.bootstrapToken?.caCertHashes).toEqual([spkiHash(ecdsa)]);
    expect(spkiHash(ecdsa)).not.toBe(spkiHash(defaultScenario(config).caCert));
  });
});

describeWith(bash && openssl)("failure paths", () => {
  /** Five minutes, the shortest join window config allows: the failing loops stay short. */
  const shortWorker = workerUserData(testConfig({ cluster: { readinessTimeoutMinutes: 5 } }));
  const workerScenario = (extra: Scenario = {}) => scenario({ ...extra, imds: WORKER_IMDS });

  it("every network call is retried: both nodes finish when each network call fails once before it succeeds", () => {
    for (const script of [controlPlaneScript, workerScript]) {
      const r = runBootstrap(script, { ...scenario({ imds: script === workerScript ? WORKER_IMDS : {} }), env: { K8S_FLAKY: "1" } });
      expect({ status: r.status, stderr: r.status === 0 ? "" : r.stderr.slice(-2000) }).toEqual({ status: 0, stderr: "" });
      // The failures did happen: apt, the key download, the snap, IMDS, SSM (and the worker's probe and join).
      const failed = r.state("flaky-failures").join("\n");
      for (const call of ["apt-get -q -o DPkg::Lock::Timeout=300 update", " https://pkgs.k8s.io/core:", "snap install aws-cli", "http://169.254.169.254/latest/meta-data/instance-id", `--name ${params.caCert}`]) {
        expect(failed).toContain(call);
      }
      if (script === controlPlaneScript) {
        // The background image pull is retried too, and kubeadm init still finds the images.
        expect(failed).toContain("kubeadm config images pull");
        expect(r.state("images-pulled")).toEqual([`v${config.cluster.kubernetesVersion}`]);
      }
      if (script === workerScript) for (const call of ["/livez", "kubeadm join", "autoscaling complete-lifecycle-action"]) expect(failed).toContain(call);
    }
  });

  it("a worker whose API server never answers gives up at its deadline, without a join", () => {
    const r = runBootstrap(shortWorker, workerScenario({ fail: { "curl livez": "always" } }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: the API server at 10\.0\.1\.10:6443 did not answer within 300s/);
    expect(r.callsTo("kubeadm join")).toEqual([]);
    // The launch hook is left to time out: the group abandons and replaces this worker.
    expect(r.callsTo("aws autoscaling")).toEqual([]);
    // One probe every 15 s over 300 s.
    const probes = r.callsTo("curl -fsS --max-time 5 --cacert").length;
    expect(probes).toBeGreaterThanOrEqual(19);
    expect(probes).toBeLessThanOrEqual(21);
  });

  it("a worker's join deadline counts from its bootstrap's start, as its launch hook's timeout does: slow package installs shorten the wait, never extend it", () => {
    // apt-get update fails 6 times: 5 + 10 + 20 + 40 + 60 + 60 = 195 s of retries before the first probe.
    const r = runBootstrap(shortWorker, workerScenario({ fail: { "apt-get update": 6, "curl livez": "always" } }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: the API server at 10\.0\.1\.10:6443 did not answer within 300s/);
    // Every wait of the bootstrap itself is a sleep here (the clock moves only by them).
    const slept = r.callsTo("sleep").reduce((sum, c) => sum + Number(String(c.args[0]).replace(/s$/, "")), 0);
    expect(slept).toBeGreaterThanOrEqual(195);
    // Given up by the deadline (one last 15 s wait may cross it), not 300 s after the installs.
    expect(slept).toBeLessThanOrEqual(Number(headerValue(shortWorker, "JOIN_TIMEOUT_SECONDS")) + 15);
  });

  it("a worker whose join never succeeds resets after each attempt, reads the token anew each time, and fails at its deadline", () => {
    const r = runBootstrap(shortWorker, workerScenario({ fail: { "kubeadm join": "always" } }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: could not join the cluster within 300s/);
    const joins = r.callsTo("kubeadm join").length;
    expect(joins).toBeGreaterThan(5);
    expect(r.callsTo("kubeadm reset --force").length).toBe(joins);
    expect(r.callsTo(`aws ssm get-parameter --region ${config.region} --name ${params.joinToken}`).length).toBe(joins);
    expect(r.callsTo("aws autoscaling")).toEqual([]);
  });

  it("a worker that never gets the CA stops before probing or joining, with no CA file", () => {
    const r = runBootstrap(workerScript, workerScenario({ fail: { [`aws ssm get-parameter ${params.caCert}`]: "always" } }));
    expect(r.status).not.toBe(0);
    expect(r.callsTo(`aws ssm get-parameter --region ${config.region} --name ${params.caCert}`)).toHaveLength(30);
    expect(r.calls.filter((c) => c.cmd === "kubeadm" || String(c.args.at(-1)).endsWith("/livez"))).toEqual([]);
    expect(r.file("/etc/kubeadm-bootstrap/ca.crt")).toBeUndefined();
    expect(r.callsTo("aws autoscaling")).toEqual([]);
    // The last bootstrap line (what the console log ends with) points at the step that stopped it.
    const last = r.stderr.trim().split("\n").pop() ?? "";
    const at = /\[k8s-bootstrap\] FATAL: the bootstrap stopped at line (\d+) of its script \(exit 1\): /.exec(last);
    expect(at).not.toBeNull();
    expect(workerScript.split("\n")[Number(at?.[1]) - 1]).toMatch(/^retry 30 2 ssm_get_to_file "\$\{SSM_CA_CERT\}"/);
  });

  it("a worker that has joined but may not complete its launch hook retries, then fails saying the group will replace it", () => {
    const { group, launchHook } = workerGroupNames(config);
    const r = runBootstrap(workerScript, workerScenario({ fail: { "aws autoscaling complete-lifecycle-action": "always" } }));
    expect(r.status).toBe(1);
    expect(r.callsTo("kubeadm join")).toHaveLength(1);
    expect(r.callsTo("aws autoscaling complete-lifecycle-action")).toHaveLength(10);
    expect(r.state("lifecycle-completions")).toEqual([]);
    expect(r.stderr).toContain(`FATAL: joined, but could not complete the launch hook ${launchHook} of ${group}; the group abandons this worker when the hook times out`);
    // AWS's own error is shown, once per attempt.
    expect(r.stderr.match(/User is not authorized to perform: autoscaling:CompleteLifecycleAction/g)).toHaveLength(10);
  });

  it("a worker of a group created before the hook existed (no lifecycle action to complete) finishes in service", () => {
    const r = runBootstrap(workerScript, { ...workerScenario(), env: { K8S_NO_LAUNCH_HOOK: "1" } });
    expect({ status: r.status, stderr: r.status === 0 ? "" : r.stderr.slice(-1500) }).toEqual({ status: 0, stderr: "" });
    expect(r.callsTo("aws autoscaling complete-lifecycle-action")).toHaveLength(1);
    expect(r.stderr).toContain("no launch hook holds this instance (its group has none): nothing to complete");
  });

  it("a command that fails outside any function is named with its line as the last bootstrap line", () => {
    const r = runBootstrap(controlPlaneScript, scenario({ fail: { "kubeadm init": "always" } }));
    expect(r.status).not.toBe(0);
    const last = r.stderr.trim().split("\n").pop() ?? "";
    expect(last).toMatch(/\[k8s-bootstrap\] FATAL: the bootstrap stopped at line \d+ of its script \(exit 1\): kubeadm init --config \S+kubeadm-init\.yaml --skip-token-print$/);
    expect(r.callsTo("systemctl enable --now k8s-refresh-join-token.timer")).toEqual([]);
  });

  it("the control plane stops before kubeadm init when the parameter holds no bootstrap token", () => {
    const r = runBootstrap(controlPlaneScript, scenario({ ssm: { [params.joinToken]: "not-a-token" } }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`FATAL: the parameter ${params.joinToken} does not hold a bootstrap token`);
    // Only the image pre-pull, started in the background before the checks, ran kubeadm.
    expect(r.callsTo("kubeadm").filter((c) => c.args[0] !== "config")).toEqual([]);
  });

  it("the control plane stops when the clock never synchronises", () => {
    const r = runBootstrap(controlPlaneScript, scenario({ fail: { "chronyc waitsync": "always" } }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("FATAL: the clock did not synchronise");
    expect(r.callsTo("kubeadm").filter((c) => c.args[0] !== "config")).toEqual([]);
    expect(r.callsTo("aws ssm")).toEqual([]);
  });
});

describeWith(bash)("retry (functions.sh)", () => {
  const functions = readFileSync(path.join(TEMPLATE_DIR, "functions.sh"), "utf8");
  const script = (body: string) => `#!/bin/bash\nset -euo pipefail\n${functions}\n${body}\n`;

  it("returns the command's last failure status after the last attempt, waiting twice as long each time", () => {
    const r = runBootstrap(script(`if retry 4 5 bash -c 'exit 7'; then echo SUCCEEDED; else echo "FAILED $?"; fi`));
    expect(r.stdout.trim()).toBe("FAILED 7");
    expect(r.callsTo("sleep").map((c) => c.args[0])).toEqual(["5", "10", "20"]);
  });

  it("returns success as soon as the command succeeds, caps the wait at 60 s", () => {
    const r = runBootstrap(script(`calls=0\nflaky() { calls=$((calls + 1)); ((calls > 8)); }\nretry 10 20 flaky\necho "done after $calls"`));
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("done after 9");
    expect(r.callsTo("sleep").map((c) => c.args[0])).toEqual(["20", "40", "60", "60", "60", "60", "60", "60"]);
  });

  it("stops a strict-mode script at a call that exhausts its attempts", () => {
    const r = runBootstrap(script(`retry 2 1 false\necho "not reached"`));
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain("not reached");
  });
});

describe("the harness itself", () => {
  const shellcheck = requireTool("shellcheck", "shellcheck");

  itWith(shellcheck)("its recorder passes shellcheck", () => {
    const r = spawnSync(shellcheck as string, ["--shell=bash", "--severity=style", "--format=gcc", path.join(__dirname, "helpers", "userdata-harness", "recorder.sh")], { encoding: "utf8" });
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  itWith(bash)("runs no command it does not know: an unknown command is not found", () => {
    const r = runBootstrap("#!/bin/bash\nset -euo pipefail\nreboot\n");
    expect(r.status).toBe(127);
  });

  itWith(bash)("writes into the scratch root, never the real /etc", () => {
    const r = runBootstrap("#!/bin/bash\nset -euo pipefail\ncat >/etc/harness-probe <<'EOF'\n/etc/stays-as-written\nEOF\n");
    expect(r.status).toBe(0);
    expect(r.file("/etc/harness-probe")).toBe("/etc/stays-as-written\n");
    expect(spawnSync("test", ["-e", "/etc/harness-probe"]).status).not.toBe(0);
  });
});
