import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { ConfigError } from "../lib/config";
import { testConfig } from "./helpers/synth";
import { KUBERNETES } from "../lib/versions";
import { PORTS } from "../lib/ports";
import { kubeadmApiVersion, kubeadmInitConfig, kubeadmJoinConfig } from "../stacks/cluster/kubeadm-config";
import { controlPlanePrivateIp, kubernetesPackageVersion, terraformAdminIdentity } from "../stacks/cluster/settings";
import { buildKubeconfig, kubeconfigInputFromOutputs, writeKubeconfig } from "../scripts/kubeconfig";
import { OUTPUT_NAMES } from "../lib/stack-outputs";

/** The problems loadConfig reports for a cluster override (empty when valid). */
function clusterProblems(cluster: Record<string, unknown>): string[] {
  try {
    testConfig({ cluster });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
}

describe("cluster configuration", () => {
  const { min, max } = KUBERNETES.linkerdSupportedMinors;

  it("accepts the default Kubernetes version and every minor Linkerd stable-2.14 supports", () => {
    expect(clusterProblems({})).toEqual([]);
    expect(clusterProblems({ kubernetesVersion: `1.${min}.0` })).toEqual([]);
    expect(clusterProblems({ kubernetesVersion: `1.${max}.3` })).toEqual([]);
  });

  it("refuses a minor outside the Linkerd window, naming the setting, the value, the window and the override", () => {
    const [problem, ...rest] = clusterProblems({ kubernetesVersion: `1.${max + 1}.0` });
    expect(rest).toEqual([]);
    expect(problem).toContain("cluster.kubernetesVersion");
    expect(problem).toContain(`"1.${max + 1}.0"`);
    expect(problem).toContain(`1.${min}.x to 1.${max}.x`);
    expect(problem).toContain("allowUnsupportedKubernetesVersion");
    expect(clusterProblems({ kubernetesVersion: `1.${min - 1}.4` })[0]).toContain("Linkerd stable-2.14");
  });

  it("accepts a version outside the window only with the explicit override", () => {
    expect(clusterProblems({ kubernetesVersion: "1.31.2", allowUnsupportedKubernetesVersion: true })).toEqual([]);
  });

  it("refuses a version that is not a full x.y.z", () => {
    expect(clusterProblems({ kubernetesVersion: "1.28" })[0]).toMatch(/cluster\.kubernetesVersion: got "1\.28"; must be a full Kubernetes version/);
  });

  it.each([
    [{ controlPlane: { instanceType: "large", rootVolumeGiB: 30 } }, "cluster.controlPlane.instanceType", "EC2 instance type"],
    [{ workers: { count: 2, instanceType: "T3.LARGE", rootVolumeGiB: 40 } }, "cluster.workers.instanceType", "EC2 instance type"],
    [{ controlPlane: { instanceType: "t3.medium", rootVolumeGiB: 8 } }, "cluster.controlPlane.rootVolumeGiB", "at least 20 GiB"],
    [{ workers: { count: 0, instanceType: "t3.large", rootVolumeGiB: 40 } }, "cluster.workers.count", "at least 1"],
    [{ workers: { count: 2.5, instanceType: "t3.large", rootVolumeGiB: 40 } }, "cluster.workers.count", "whole number"],
    [{ readinessTimeoutMinutes: 2 }, "cluster.readinessTimeoutMinutes", "at least 5 minutes"],
    [{ nodeGeneration: 0 }, "cluster.nodeGeneration", "at least 1"],
    [{ controlPlaneHostNumber: 2 }, "cluster.controlPlaneHostNumber", "usable address of the first subnet"],
    [{ controlPlaneHostNumber: 255 }, "cluster.controlPlaneHostNumber", "between 4 and 254"],
  ])("refuses %j with a message naming %s", (override, field, allowed) => {
    const problems = clusterProblems(override);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(field);
    expect(problems[0]).toContain(allowed);
  });

  it("derives the fixed private address from the first subnet", () => {
    expect(controlPlanePrivateIp(testConfig())).toBe("10.0.1.10");
    expect(controlPlanePrivateIp(testConfig({ network: { publicSubnetCidrs: ["10.0.8.0/22", "10.0.12.0/22"] }, cluster: { controlPlaneHostNumber: 300 } }))).toBe("10.0.9.44");
  });
});

describe("kubeadm configuration", () => {
  const docsOf = (yamlText: string) => parseAllDocuments(yamlText).map((d) => d.toJS() as Record<string, any>);

  it("uses kubeadm.k8s.io/v1beta3 before 1.31 and v1beta4 from 1.31", () => {
    expect(kubeadmApiVersion("1.21.0")).toBe("kubeadm.k8s.io/v1beta3");
    expect(kubeadmApiVersion("1.30.9")).toBe("kubeadm.k8s.io/v1beta3");
    expect(kubeadmApiVersion("1.31.0")).toBe("kubeadm.k8s.io/v1beta4");
    expect(kubeadmApiVersion("1.33.1")).toBe("kubeadm.k8s.io/v1beta4");
  });

  it("renders extraArgs as a map for v1beta3", () => {
    const [init, cluster] = docsOf(kubeadmInitConfig(testConfig()));
    expect(init?.apiVersion).toBe("kubeadm.k8s.io/v1beta3");
    expect(cluster?.controllerManager.extraArgs).toEqual({ "bind-address": "0.0.0.0" });
    expect(cluster?.scheduler.extraArgs).toEqual({ "bind-address": "0.0.0.0" });
    expect(cluster?.etcd.local.extraArgs).toEqual({ "listen-metrics-urls": `http://0.0.0.0:${PORTS.etcdMetrics.port}` });
    expect(init?.nodeRegistration.kubeletExtraArgs).toEqual({ "node-ip": "${NODE_IP}", "provider-id": "${PROVIDER_ID}" });
  });

  it("renders extraArgs as name/value lists for v1beta4", () => {
    const config = testConfig({ cluster: { kubernetesVersion: "1.31.4", allowUnsupportedKubernetesVersion: true } });
    const [init, cluster] = docsOf(kubeadmInitConfig(config));
    expect(init?.apiVersion).toBe("kubeadm.k8s.io/v1beta4");
    expect(cluster?.apiVersion).toBe("kubeadm.k8s.io/v1beta4");
    expect(cluster?.kubernetesVersion).toBe("v1.31.4");
    expect(cluster?.controllerManager.extraArgs).toEqual([{ name: "bind-address", value: "0.0.0.0" }]);
    expect(cluster?.etcd.local.extraArgs).toEqual([{ name: "listen-metrics-urls", value: `http://0.0.0.0:${PORTS.etcdMetrics.port}` }]);
    expect(init?.nodeRegistration.kubeletExtraArgs).toEqual([
      { name: "node-ip", value: "${NODE_IP}" },
      { name: "provider-id", value: "${PROVIDER_ID}" },
    ]);
    expect(docsOf(kubeadmJoinConfig(config))[0]?.apiVersion).toBe("kubeadm.k8s.io/v1beta4");
  });

  it("puts the endpoint on the fixed private address, the Elastic IP in the SANs, and the configured networks", () => {
    const config = testConfig({ cluster: { podCidr: "10.200.0.0/16", serviceCidr: "10.100.0.0/16" } });
    const [, cluster, kubelet, proxy] = docsOf(kubeadmInitConfig(config));
    expect(cluster).toMatchObject({
      kind: "ClusterConfiguration",
      clusterName: "k8s-mesh",
      controlPlaneEndpoint: `10.0.1.10:${PORTS.kubeApiServer.port}`,
      networking: { podSubnet: "10.200.0.0/16", serviceSubnet: "10.100.0.0/16" },
      apiServer: { certSANs: ["${CONTROL_PLANE_PUBLIC_IP}", "10.0.1.10"] },
    });
    expect(kubelet).toEqual({ apiVersion: "kubelet.config.k8s.io/v1beta1", kind: "KubeletConfiguration", cgroupDriver: "systemd" });
    expect(proxy).toMatchObject({ kind: "KubeProxyConfiguration", metricsBindAddress: `0.0.0.0:${PORTS.kubeProxyMetrics.port}` });
  });

  it("creates the first join token from SSM with a 24 h lifetime, and workers pin the CA hash", () => {
    const [init] = docsOf(kubeadmInitConfig(testConfig()));
    expect(init?.bootstrapTokens).toEqual([expect.objectContaining({ token: "${BOOTSTRAP_TOKEN}", ttl: "24h0m0s" })]);
    const [join] = docsOf(kubeadmJoinConfig(testConfig()));
    expect(join?.discovery.bootstrapToken).toEqual({ apiServerEndpoint: "10.0.1.10:6443", token: "${JOIN_TOKEN}", caCertHashes: ["${CA_CERT_HASH}"] });
  });

  it("names the Terraform admin identity after the cluster and its generation, never a built-in group", () => {
    const config = testConfig({ name: "demo", access: { adminIdentityGeneration: 3 } });
    expect(terraformAdminIdentity(config)).toEqual({ group: "demo:terraform-admins:3", commonName: "demo-terraform-admin", binding: "demo:terraform-admins:3" });
    expect(terraformAdminIdentity(testConfig()).group).not.toMatch(/^(system|kubeadm):/);
  });

  it("pins packages as pkgs.k8s.io versions them", () => {
    expect(kubernetesPackageVersion(KUBERNETES.version, KUBERNETES.packageRevision)).toBe(`${KUBERNETES.version}-${KUBERNETES.packageRevision}`);
  });
});

describe("kubeconfig writer", () => {
  const outputs = {
    [OUTPUT_NAMES.cluster.apiServerUrl]: "https://203.0.113.10:6443",
    [OUTPUT_NAMES.cluster.caCertificatePem]: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
    [OUTPUT_NAMES.cluster.clientCertificatePem]: "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n",
    [OUTPUT_NAMES.cluster.clientKeyPem]: "-----BEGIN RSA PRIVATE KEY-----\nKEY\n-----END RSA PRIVATE KEY-----\n",
  };

  it("builds a kubeconfig with the server, embedded CA and client credentials, and a current context", () => {
    const kc = parse(buildKubeconfig(kubeconfigInputFromOutputs(outputs, "k8s-mesh")));
    expect(kc["current-context"]).toBe("k8s-mesh");
    expect(kc.clusters[0].cluster.server).toBe("https://203.0.113.10:6443");
    expect(Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64").toString()).toContain("CA");
    expect(Buffer.from(kc.users[0].user["client-key-data"], "base64").toString()).toContain("KEY");
    expect(kc.contexts[0].context).toEqual({ cluster: "k8s-mesh", user: "k8s-mesh-admin" });
  });

  it("names the missing output when the stack is not deployed", () => {
    expect(() => kubeconfigInputFromOutputs({}, "k8s-mesh")).toThrow(/no output api_server_url/);
  });

  it("writes the file readable by its owner only, also over an existing file", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "kc-")), "kubeconfig");
    writeFileSync(file, "old", { mode: 0o644 });
    writeKubeconfig(file, "new");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
