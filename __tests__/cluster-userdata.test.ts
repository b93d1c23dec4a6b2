import { execFileSync, spawnSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { itWith, requireTool } from "./helpers/tools";
import { oneResource, synthApp, testConfig } from "./helpers/synth";
import {
  controlPlaneUserData,
  controlPlaneUserDataBase64,
  etcdBackupScript,
  nodeCleanupScript,
  certRenewalScript,
  refreshJoinTokenScript,
  workerUserData,
} from "../stacks/cluster/userdata/bootstrap";
import { TEMPLATE_DIR } from "../stacks/cluster/userdata/render";
import { parameterNames } from "../stacks/cluster/settings";

/** An Elastic IP address for examples (TEST-NET-3, RFC 5737). */
const EXAMPLE_PUBLIC_IP = "203.0.113.10";

const FIXTURES = path.join(__dirname, "fixtures", "cluster");
/** EC2's limit on user-data before base64 encoding. */
const USER_DATA_LIMIT = 16 * 1024;

const config = testConfig();
const params = parameterNames(config);
const rendered = {
  "control-plane.user-data.sh": controlPlaneUserData(config),
  "worker.user-data.sh": workerUserData(config),
  "refresh-join-token.sh": refreshJoinTokenScript(config),
  "etcd-backup.sh": etcdBackupScript(config),
  "node-cleanup.sh": nodeCleanupScript(config),
  "cert-renewal.sh": certRenewalScript(config),
};

/** What the instance's `user_data_base64` holds, as cloud-init unpacks it. */
function gunzipBase64(value: unknown): string {
  return gunzipSync(Buffer.from(String(value), "base64")).toString("utf8");
}

/** Terraform references (`${...}`) in a string, ignoring escaped `$${`. */
function terraformReferences(s: string): string[] {
  return [...s.matchAll(/(?<!\$)\$\{([^}]*)\}/g)].map((m) => m[1] as string);
}

/** The text between `<<MARK` on the line containing `opener` and the line `MARK`. */
function heredoc(script: string, opener: string, mark: string): string {
  const start = script.indexOf(opener);
  if (start < 0) throw new Error(`no ${opener}`);
  const bodyStart = script.indexOf("\n", start) + 1;
  const end = script.indexOf(`\n${mark}\n`, bodyStart);
  return script.slice(bodyStart, end + 1);
}

describe("node user-data", () => {
  describe("golden files", () => {
    it.each(Object.keys(rendered))("%s matches its golden file (UPDATE_GOLDEN=1 rewrites it)", (name) => {
      const file = path.join(FIXTURES, name);
      const text = rendered[name as keyof typeof rendered];
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, text);
      expect(existsSync(file)).toBe(true);
      expect(text).toBe(readFileSync(file, "utf8"));
    });
  });

  describe("as synthesized", () => {
    const app = synthApp();
    const cluster = app.stack("cluster");
    const instance = oneResource(cluster, "aws_instance");
    const template = oneResource(cluster, "aws_launch_template");
    const cpUserData = String(instance.user_data_base64);

    it("gives the control plane exactly the golden script, gzip-compressed, with no Terraform value in it", () => {
      expect(instance.user_data).toBeUndefined();
      expect(cpUserData).not.toContain("${");
      expect(gunzipBase64(cpUserData)).toBe(readFileSync(path.join(FIXTURES, "control-plane.user-data.sh"), "utf8"));
    });

    it("reads the Elastic IP on the node from a parameter Terraform writes before the instance starts", () => {
      const text = rendered["control-plane.user-data.sh"];
      expect(text).toContain(`readonly SSM_CONTROL_PLANE_PUBLIC_IP='${params.controlPlanePublicIp}'`);
      expect(text).toMatch(/^CONTROL_PLANE_PUBLIC_IP="\$\(retry 30 2 ssm_get "\$\{SSM_CONTROL_PLANE_PUBLIC_IP\}"\)"$/m);
      const parameter = Object.entries(cluster.tf.resource?.aws_ssm_parameter ?? {}).find(([, p]) => p.name === params.controlPlanePublicIp);
      expect(parameter?.[1]).toMatchObject({ type: "String", value: expect.stringMatching(/^\$\{aws_eip\.[^.]+\.public_ip\}$/) });
      expect(instance.depends_on).toContain(`aws_ssm_parameter.${parameter?.[0]}`);
    });

    it("references none of the secret-bearing resources in any user-data", () => {
      // Both user-data are literals: no Terraform reference at all, so no secret can be interpolated.
      expect(terraformReferences(cpUserData)).toEqual([]);
      expect(terraformReferences(String(template.user_data))).toEqual([]);
    });

    it("gives workers a literal script (no Terraform reference) equal to the golden file", () => {
      const raw = String(template.user_data);
      expect(raw).not.toContain("${");
      expect(Buffer.from(raw, "base64").toString("utf8")).toBe(readFileSync(path.join(FIXTURES, "worker.user-data.sh"), "utf8"));
    });
  });

  describe("limits and hygiene", () => {
    it("stays under EC2's 16 KB user-data limit as sent (the control plane's compressed, a worker's plain)", () => {
      // EC2 counts the bytes before base64: the gzip stream for the control plane.
      const cpSent = Buffer.from(controlPlaneUserDataBase64(config), "base64").byteLength;
      // A quarter of the limit stays free for what comes next.
      expect(cpSent).toBeLessThan(USER_DATA_LIMIT * 0.75);
      expect(Buffer.byteLength(rendered["worker.user-data.sh"])).toBeLessThan(USER_DATA_LIMIT);
      if (process.env.SHOW_SIZES === "1") {
        console.log({ controlPlanePlain: Buffer.byteLength(rendered["control-plane.user-data.sh"]), controlPlaneSent: cpSent, worker: Buffer.byteLength(rendered["worker.user-data.sh"]) });
      }
    });

    it("starts every script with bash and strict mode, in plain ASCII", () => {
      for (const text of Object.values(rendered)) {
        expect(text.split("\n")[0]).toBe("#!/bin/bash");
        expect(text).toMatch(/^set -euo pipefail$/m);
        expect(/^[\x09\x0a\x20-\x7e]*$/.test(text)).toBe(true);
      }
    });

    it("never traces commands (set -x would print the token)", () => {
      for (const text of Object.values(rendered)) expect(text).not.toMatch(/set -[a-z]*x|set -o xtrace/);
    });

    it("tells workers nothing about the CA key", () => {
      expect(rendered["worker.user-data.sh"]).not.toContain(params.caKey);
      expect(rendered["worker.user-data.sh"]).not.toContain("ca.key");
      expect(rendered["control-plane.user-data.sh"]).toContain(params.caKey);
    });

    it("pins kubelet, kubeadm and kubectl to the configured version and holds them", () => {
      const w = rendered["worker.user-data.sh"];
      expect(w).toContain("readonly KUBERNETES_PACKAGE_VERSION='1.28.15-1.1'");
      expect(w).toContain("readonly KUBERNETES_MINOR='1.28'");
      expect(w).toContain('"kubelet=${KUBERNETES_PACKAGE_VERSION}" "kubeadm=${KUBERNETES_PACKAGE_VERSION}" "kubectl=${KUBERNETES_PACKAGE_VERSION}"');
      expect(w).toContain("apt-mark hold kubelet kubeadm kubectl");
      expect(w).toContain("https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/");
    });

    it("writes SystemdCgroup = true explicitly and checks containerd loaded it", () => {
      const w = rendered["worker.user-data.sh"];
      expect(heredoc(w, "cat >/etc/containerd/config.toml", "CONF")).toMatch(/^ {2}SystemdCgroup = true$/m);
      expect(w).toContain("containerd config dump | grep -Eq '^[[:space:]]*SystemdCgroup = true$'");
    });

    it("turns swap off, loads overlay and br_netfilter, sets the sysctls and syncs the clock", () => {
      const w = rendered["worker.user-data.sh"];
      for (const needle of ["swapoff -a", "modprobe overlay", "modprobe br_netfilter", "net.ipv4.ip_forward = 1", "net.bridge.bridge-nf-call-iptables = 1", "chronyc waitsync"]) {
        expect(w).toContain(needle);
      }
    });

    it("retries every AWS call the bootstrap makes at top level", () => {
      const awsCall = /\b(ssm_get|ssm_get_to_file|install_aws_cli|imds)\b/;
      for (const name of ["worker.user-data.sh", "control-plane.user-data.sh"] as const) {
        // Top-level statements start in column 0; function bodies are indented.
        const calls = rendered[name].split("\n").filter((l) => /^[^\s#]/.test(l) && !/^[a-z_]+\(\) \{$/.test(l) && awsCall.test(l));
        expect(calls.length).toBeGreaterThan(2);
        expect(calls.filter((l) => !/(^|\$\()retry \d+ \d+ /.test(l))).toEqual([]);
      }
      // The worker's one call inside join_once is retried by the bounded join loop around it.
      expect(rendered["worker.user-data.sh"]).toMatch(/^until join_once; do$/m);
      expect(rendered["refresh-join-token.sh"]).toMatch(/for attempt in 1 2 3 4 5 6; do/);
    });
  });

  describe("real tools", () => {
    const shellcheck = requireTool("shellcheck", "shellcheck");
    const bash = requireTool("bash", "bash");

    itWith(shellcheck)("passes shellcheck with no finding on every rendered shell part", () => {
      const dir = mkdtempSync(path.join(tmpdir(), "userdata-"));
      const files = Object.entries(rendered).map(([name, text]) => {
        const file = path.join(dir, name);
        writeFileSync(file, text);
        return file;
      });
      let output = "";
      try {
        execFileSync(shellcheck as string, ["--shell=bash", "--severity=style", "--format=gcc", ...files], { encoding: "utf8" });
      } catch (e) {
        output = String((e as { stdout?: string }).stdout ?? e);
      }
      expect(output).toBe("");
    });

    itWith(bash)("writes kubeadm files that are valid YAML once the shell expands them", () => {
      const expand = (body: string, vars: Record<string, string>) =>
        execFileSync(bash as string, ["-c", `set -euo pipefail\ncat <<CONF\n${body}CONF`], { encoding: "utf8", env: { ...vars, PATH: process.env.PATH } });
      const init = expand(heredoc(rendered["control-plane.user-data.sh"], "cat >/etc/kubernetes/kubeadm-init.yaml", "CONF"), {
        BOOTSTRAP_TOKEN: "abcdef.0123456789abcdef",
        NODE_IP: "10.0.1.10",
        PROVIDER_ID: "aws:///ap-northeast-2a/i-0123456789abcdef0",
        CONTROL_PLANE_PUBLIC_IP: EXAMPLE_PUBLIC_IP,
        SERVICE_ACCOUNT_ISSUER: "https://k8s-mesh-oidc-1.s3.ap-northeast-2.amazonaws.com",
      });
      const docs = parseAllDocuments(init).map((d) => d.toJS() as Record<string, unknown>);
      expect(docs.map((d) => d.kind)).toEqual(["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration", "KubeProxyConfiguration"]);
      expect(docs[0]).toMatchObject({ bootstrapTokens: [{ token: "abcdef.0123456789abcdef" }], nodeRegistration: { kubeletExtraArgs: { "provider-id": "aws:///ap-northeast-2a/i-0123456789abcdef0" } } });
      expect(docs[1]).toMatchObject({ apiServer: { certSANs: [EXAMPLE_PUBLIC_IP, "10.0.1.10"] } });

      const join = expand(heredoc(rendered["worker.user-data.sh"], "cat >/etc/kubeadm-bootstrap/join.yaml", "CONF"), {
        JOIN_TOKEN: "abcdef.0123456789abcdef",
        CA_CERT_HASH: "sha256:00ff",
        NODE_IP: "10.0.2.20",
        PROVIDER_ID: "aws:///ap-northeast-2c/i-0fedcba9876543210",
      });
      expect(parseAllDocuments(join)[0]?.toJS()).toMatchObject({
        kind: "JoinConfiguration",
        discovery: { bootstrapToken: { apiServerEndpoint: "10.0.1.10:6443", token: "abcdef.0123456789abcdef", caCertHashes: ["sha256:00ff"] } },
      });
    });
  });

  describe("ca_cert_hash (the function workers pin the CA with)", () => {
    const openssl = requireTool("openssl", "openssl");

    itWith(openssl).each(["ca-rsa.crt", "ca-ecdsa.crt"])("gives the SHA-256 of the DER SubjectPublicKeyInfo of %s", (fixture) => {
      const file = path.join(FIXTURES, fixture);
      const spki = new X509Certificate(readFileSync(file)).publicKey.export({ type: "spki", format: "der" });
      const expected = `sha256:${createHash("sha256").update(spki).digest("hex")}`;
      const got = execFileSync("bash", ["-c", 'set -euo pipefail; source "$1"; ca_cert_hash "$2"', "_", path.join(TEMPLATE_DIR, "functions.sh"), file], {
        encoding: "utf8",
      });
      expect(got.trim()).toBe(expected);
    });

    itWith(openssl)("fails, with openssl's reason and no hash, on a file that is not a certificate", () => {
      const run = spawnSync("bash", ["-c", 'set -euo pipefail; source "$1"; ca_cert_hash /dev/null', "_", path.join(TEMPLATE_DIR, "functions.sh")], {
        encoding: "utf8",
      });
      expect(run.status).not.toBe(0);
      expect(run.stdout).not.toContain("sha256:");
      expect(run.stderr).toMatch(/unable to load certificate/i);
    });
  });
});
