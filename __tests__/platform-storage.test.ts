/**
 * Data safety on the platform side: the EBS CSI driver and its StorageClass,
 * Prometheus, Alertmanager and Grafana on volumes, the order that lets a
 * destroy delete those volumes before the driver goes (and the program that
 * waits for it), the contract the cluster stack implements, dashboards and
 * datasource as code, and Linkerd's cluster networks.
 */
import { execFileSync } from "node:child_process";
import { parse } from "yaml";
import { loadChartKeys, unknownValuePaths } from "../lib/chart-values";
import { CHARTS, LINKERD_DASHBOARDS } from "../lib/versions";
import { NAMESPACES, RELEASES } from "../lib/k8s-names";
import { clusterTag } from "../lib/naming";
import {
  AWS_PROVIDER_ID_PATTERN,
  awsProviderId,
  EBS_CSI_DRIVER_TAG,
  EBS_CSI_NODE_REQUIREMENTS,
  EBS_CSI_PROVISIONER,
  ebsCsiPolicy,
  ebsVolumeTags,
  extraVolumeTags,
  STORAGE_CLASS,
  sweepVolumesCommand,
} from "../lib/storage";
import { ebsCsiDriverValues, EBS_CSI_NAMESPACE } from "../stacks/platform/ebs-csi-driver";
import { CLAIM_RETENTION_POLICY, kubePrometheusStackValues } from "../stacks/platform/monitoring-values";
import { linkerdControlPlaneValues } from "../stacks/platform/linkerd";
import { GRAFANA_PROMETHEUS_DATASOURCE, LINKERD_DASHBOARD_PROVIDER } from "../stacks/platform/grafana-dashboards";
import { VOLUME_WAIT_ENV, VOLUME_WAIT_PROGRAM, VOLUME_WAIT_TRIGGERS } from "../stacks/platform/volume-cleanup";
import { namespaceNamed, onlyResource, releaseNamed, synthApp, testConfig } from "./helpers/synth";

// The destroy-time program is plain CommonJS (Terraform runs it with node).
const waitProgram = require(VOLUME_WAIT_PROGRAM) as {
  readSettings(env: Record<string, string | undefined>): Settings;
  classify(volumes: KubeObject[], claims: KubeObject[], storageClass: string): { deleting: Summary[]; claimed: Summary[] };
  run(s: Settings, io: Io): Promise<number>;
  interpretAnswer(path: string, answer: { ok: true; status: number; body: string } | { ok: false; reason: string }): { ok: boolean; failure?: Failure };
};

interface Settings {
  problems: string[];
  storageClass: string;
  timeoutSeconds: number;
  unreachableSeconds: number;
  intervalSeconds: number;
  sweepHint: string;
  continueOnRejectedCredentials: boolean;
}
interface KubeObject {
  metadata: { name: string; uid?: string; namespace?: string; deletionTimestamp?: string };
  spec?: { storageClassName?: string; claimRef?: { namespace?: string; name?: string; uid?: string }; csi?: { volumeHandle?: string } };
  status?: { phase?: string };
}
interface Summary {
  name: string;
  volumeId: string;
  phase: string;
  claim: string;
}
type Failure = "unreachable" | "rejected" | "answered";
type Listing = { ok: true; volumes: KubeObject[]; claims: KubeObject[] } | { ok: false; failure: Failure; reason: string };
interface Io {
  list(): Promise<Listing>;
  sleep(ms: number): Promise<void>;
  now(): number;
  log(line: string): void;
}

type Resource = Record<string, unknown>;

const dependsOn = (r: { body: Resource }) => (r.body.depends_on as string[] | undefined) ?? [];

/** Chart values, read loosely. */
type Values = Record<string, any>;
const valuesOf = (r: { body: Resource }): Values => parse((r.body.values as string[])[0] as string) as Values;

describe("EbsCsiDriver", () => {
  const { config, stack } = synthApp();
  const platform = stack("platform");
  const driver = () => releaseNamed(platform, RELEASES.awsEbsCsiDriver);

  it("installs the pinned chart in kube-system and waits for it", () => {
    expect(driver().body).toMatchObject({
      chart: CHARTS.awsEbsCsiDriver.chart,
      repository: CHARTS.awsEbsCsiDriver.repository,
      version: CHARTS.awsEbsCsiDriver.version,
      namespace: EBS_CSI_NAMESPACE,
      wait: true,
      timeout: config.platform.helmTimeoutSeconds,
    });
    expect(valuesOf(driver())).toEqual(JSON.parse(JSON.stringify(ebsCsiDriverValues(config))));
  });

  it("passes only value paths the pinned chart has", () => {
    const keys = loadChartKeys("awsEbsCsiDriver");
    expect(unknownValuePaths(ebsCsiDriverValues(config), keys)).toEqual([]);
    // The check can fail: a misspelt key of this chart is reported.
    expect(unknownValuePaths({ controller: { k8sTagClusterID: "x" }, node: { metadataSource: "imds" } }, keys)).toEqual([
      "controller.k8sTagClusterID",
      "node.metadataSource",
    ]);
  });

  it("runs two controller replicas on the workers, never on the control plane, with the region from config (no instance metadata needed)", () => {
    const v = valuesOf(driver());
    expect(v.controller.nodeSelector).toBeUndefined();
    expect(v.controller.affinity).toBeUndefined(); // the chart's own: spread the replicas by host
    expect(v.controller.tolerations).toEqual([
      { key: "CriticalAddonsOnly", operator: "Exists" },
      { effect: "NoExecute", operator: "Exists", tolerationSeconds: 300 },
    ]);
    expect(JSON.stringify(v.controller.tolerations)).not.toContain("control-plane");
    expect(v.controller.region).toBe(config.region);
    expect(v.controller.replicaCount).toBe(2);
    const other = synthApp({ region: "us-east-1", availabilityZones: ["us-east-1a", "us-east-1b"] }).stack("platform");
    expect(valuesOf(releaseNamed(other, RELEASES.awsEbsCsiDriver)).controller.region).toBe("us-east-1");
  });

  it("reads node metadata from IMDS on the host network, where hop limit 1 suffices", () => {
    const v = valuesOf(driver());
    expect(v.node).toEqual({ hostNetwork: true, metadataSources: "imds", enableWindows: false });
    expect(EBS_CSI_NODE_REQUIREMENTS.imdsHopLimit).toBe(1);
  });

  it("tags every volume with this cluster's tag and the project's tags", () => {
    const v = valuesOf(driver());
    expect(v.controller.k8sTagClusterId).toBe(config.name);
    expect(clusterTag(config)).toEqual({ [`kubernetes.io/cluster/${config.name}`]: "owned" });
    expect(v.controller.extraVolumeTags).toEqual({ Project: config.name });
    const tagged = synthApp({ name: "other-mesh", tags: { CostCenter: "42" } }).stack("platform");
    expect(valuesOf(releaseNamed(tagged, RELEASES.awsEbsCsiDriver)).controller).toMatchObject({
      k8sTagClusterId: "other-mesh",
      extraVolumeTags: { Project: "other-mesh", CostCenter: "42" },
    });
  });

  it("creates one default StorageClass of encrypted gp3 volumes, deleted with their claim, bound where the pod runs, expandable", () => {
    const sc = onlyResource(platform, "kubernetes_storage_class_v1");
    expect(sc.body).toMatchObject({
      metadata: { name: STORAGE_CLASS.name, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      storage_provisioner: EBS_CSI_PROVISIONER,
      volume_binding_mode: "WaitForFirstConsumer",
      reclaim_policy: "Delete",
      allow_volume_expansion: true,
      parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
    });
    expect(EBS_CSI_PROVISIONER).toBe("ebs.csi.aws.com");
  });
});

describe("Monitoring on persistent volumes", () => {
  const config = testConfig();
  const v = kubePrometheusStackValues(config) as Values;
  const claim = (sizeGiB: number) => ({
    volumeClaimTemplate: {
      spec: { storageClassName: STORAGE_CLASS.name, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${sizeGiB}Gi` } } },
    },
  });

  it("keeps Prometheus' data on a volume of the configured size, bounded by time and by size", () => {
    const spec = v.prometheus.prometheusSpec;
    expect(spec.storageSpec).toEqual(claim(config.platform.monitoring.prometheusVolumeGiB));
    expect(spec.retention).toBe(config.platform.monitoring.retention);
    expect(spec.retentionSize).toBe(config.platform.monitoring.retentionSize);
    const bigger = kubePrometheusStackValues(testConfig({ platform: { monitoring: { prometheusVolumeGiB: 100, retentionSize: "80GB" } } })) as Values;
    expect(bigger.prometheus.prometheusSpec.storageSpec).toEqual(claim(100));
    expect(bigger.prometheus.prometheusSpec.retentionSize).toBe("80GB");
  });

  it("keeps Alertmanager's silences and notification log on a volume", () => {
    expect(v.alertmanager.alertmanagerSpec.storage).toEqual(claim(config.platform.monitoring.alertmanagerVolumeGiB));
  });

  it("deletes the Prometheus and Alertmanager claims with their StatefulSets, keeps them on scale-down", () => {
    expect(CLAIM_RETENTION_POLICY).toEqual({ whenDeleted: "Delete", whenScaled: "Retain" });
    expect(v.prometheus.prometheusSpec.persistentVolumeClaimRetentionPolicy).toEqual(CLAIM_RETENTION_POLICY);
    expect(v.alertmanager.alertmanagerSpec.persistentVolumeClaimRetentionPolicy).toEqual(CLAIM_RETENTION_POLICY);
    // kube-prometheus-stack hands both fields to the Operator's custom resources whole.
    const keys = loadChartKeys("kubePrometheusStack");
    const wildcards = keys.header.wildcards.map((w) => w.path);
    expect(wildcards).toContain("prometheus.prometheusSpec.persistentVolumeClaimRetentionPolicy");
    expect(wildcards).toContain("alertmanager.alertmanagerSpec.persistentVolumeClaimRetentionPolicy");
  });

  it("keeps Grafana's database on a volume the release owns, replacing the pod rather than rolling it", () => {
    expect(v.grafana.persistence).toEqual({
      enabled: true,
      type: "pvc",
      storageClassName: STORAGE_CLASS.name,
      accessModes: ["ReadWriteOnce"],
      size: `${config.platform.monitoring.grafanaVolumeGiB}Gi`,
    });
    // No `helm.sh/resource-policy: keep` or extra finalizers: an uninstall deletes the claim.
    expect(v.grafana.persistence.annotations).toBeUndefined();
    expect(v.grafana.persistence.finalizers).toBeUndefined();
    expect(v.grafana.deploymentStrategy).toEqual({ type: "Recreate" });
  });

  it("passes only value paths kube-prometheus-stack has", () => {
    expect(unknownValuePaths(v, loadChartKeys("kubePrometheusStack"))).toEqual([]);
  });
});

describe("Grafana dashboards and datasource as code", () => {
  const v = kubePrometheusStackValues(testConfig()) as Values;

  it("provisions the Prometheus datasource from values through the chart's datasource sidecar", () => {
    expect(v.grafana.sidecar.datasources).toMatchObject({ name: GRAFANA_PROMETHEUS_DATASOURCE.name, uid: GRAFANA_PROMETHEUS_DATASOURCE.uid });
    expect(v.grafana.sidecar.datasources.enabled).toBeUndefined(); // the chart's default: on
    expect(v.grafana.datasources).toBeUndefined();
  });

  it("downloads every Linkerd dashboard at its pinned revision at each start, into a read-only file provider", () => {
    const listed = v.grafana.dashboards[LINKERD_DASHBOARD_PROVIDER.name] as Record<string, { gnetId: number; revision: number }>;
    expect(Object.keys(listed).sort()).toEqual(Object.keys(LINKERD_DASHBOARDS).sort());
    for (const [name, pinned] of Object.entries(LINKERD_DASHBOARDS)) expect(listed[name]).toMatchObject(pinned);
    const [provider] = v.grafana.dashboardProviders["dashboardproviders.yaml"].providers;
    expect(provider).toMatchObject({ type: "file", editable: false, disableDeletion: true, options: { path: LINKERD_DASHBOARD_PROVIDER.path } });
    expect(provider.allowUiUpdates).toBeUndefined();
  });
});

describe("Linkerd cluster networks", () => {
  it("lists the pod, service and VPC networks from config", () => {
    const config = testConfig();
    expect(linkerdControlPlaneValues(config).clusterNetworks).toBe("10.244.0.0/16,10.96.0.0/12,10.0.0.0/16");
  });

  it("follows a pod network outside the chart's default private ranges into the synthesized release", () => {
    const app = synthApp({ cluster: { podCidr: "198.18.0.0/16" } });
    const cp = releaseNamed(app.stack("platform"), RELEASES.linkerdControlPlane);
    expect(valuesOf(cp).clusterNetworks).toBe(`198.18.0.0/16,${app.config.cluster.serviceCidr},${app.config.network.vpcCidr}`);
    expect(unknownValuePaths({ clusterNetworks: "x" }, loadChartKeys("linkerdControlPlane"))).toEqual([]);
  });
});

describe("destroy order", () => {
  const { config, stack } = synthApp();
  const platform = stack("platform");
  const driver = releaseNamed(platform, RELEASES.awsEbsCsiDriver);
  const storageClass = onlyResource(platform, "kubernetes_storage_class_v1");
  const wait = onlyResource(platform, "time_static", "volume-cleanup");
  const monitoringNs = namespaceNamed(platform, NAMESPACES.monitoring);
  const kps = releaseNamed(platform, RELEASES.kubePrometheusStack);
  const gate = onlyResource(platform, "kubernetes_deployment_v1", "nodes-ready");
  const role = onlyResource(platform, "aws_iam_role", "ebs-csi");
  const rolePolicy = onlyResource(platform, "aws_iam_role_policy", "ebs-csi");

  it("chains the role → driver → StorageClass → volume wait → monitoring namespace → kube-prometheus-stack, so a destroy runs it backwards", () => {
    expect(dependsOn(driver)).toEqual([gate.address, role.address, rolePolicy.address]);
    expect(dependsOn(storageClass)).toEqual([driver.address]);
    expect(dependsOn(wait)).toEqual([driver.address, storageClass.address]);
    expect(dependsOn(monitoringNs)).toEqual(expect.arrayContaining([storageClass.address, wait.address]));
    expect(dependsOn(kps)).toContain(monitoringNs.address);
    // Only the namespaces with claims (monitoring, and logging for Loki) sit on the wait: nothing else delays or is delayed by it.
    const users = Object.entries(platform.tf.resource ?? {}).flatMap(([type, byId]) =>
      Object.entries(byId)
        .filter(([, r]) => ((r.depends_on as string[] | undefined) ?? []).includes(wait.address))
        .map(([id]) => `${type}.${id}`),
    );
    expect(users.sort()).toEqual([namespaceNamed(platform, NAMESPACES.logging).address, monitoringNs.address].sort());
  });

  it("removes the driver's role only after the driver, and so after the volume wait", () => {
    // The role and its policy are the driver's dependencies: a destroy removes them after it.
    for (const part of [role, rolePolicy]) expect(dependsOn(driver)).toContain(part.address);
    // The driver in turn outlives the volume wait, and nothing of the role depends on the wait or the monitoring stack.
    expect(dependsOn(wait)).toContain(driver.address);
    for (const part of [role, rolePolicy]) {
      expect(dependsOn(part).filter((d) => d === wait.address || d === monitoringNs.address || d === kps.address)).toEqual([]);
    }
  });

  it("waits for the namespace's deletion (every claim in it) as long as for a release", () => {
    expect(monitoringNs.body.timeouts).toEqual({ delete: `${config.platform.helmTimeoutSeconds}s` });
  });

  it("runs the volume wait only on destroy, reading nothing but its own resource", () => {
    const provisioners = wait.body.provisioner as Array<{ "local-exec": { when: string; command: string; environment: Record<string, string> } }>;
    expect(provisioners).toHaveLength(1);
    const exec = provisioners[0]!["local-exec"];
    expect(exec.when).toBe("destroy");
    expect(exec.command).toMatch(/^node assets\/[^ ]+\/wait-for-volumes\.cjs$/);
    // Terraform refuses a destroy-time provisioner that refers to anything but self.
    for (const value of Object.values(exec.environment)) {
      for (const [, expression] of value.matchAll(/\$\{([^}]*)\}/g)) expect(expression).toMatch(/^nonsensitive\(self\.triggers\["[a-z_]+"\]\)$/);
    }
    expect(exec.environment).toMatchObject({
      [VOLUME_WAIT_ENV.apiServerUrl]: `\${nonsensitive(self.triggers["${VOLUME_WAIT_TRIGGERS.apiServerUrl}"])}`,
      [VOLUME_WAIT_ENV.clientKeyPem]: `\${nonsensitive(self.triggers["${VOLUME_WAIT_TRIGGERS.clientKeyPem}"])}`,
      [VOLUME_WAIT_ENV.storageClass]: `\${nonsensitive(self.triggers["${VOLUME_WAIT_TRIGGERS.storageClass}"])}`,
      [VOLUME_WAIT_ENV.timeoutSeconds]: String(config.platform.storage.volumeDeletionTimeoutSeconds),
    });
    expect(exec.environment[VOLUME_WAIT_ENV.sweepHint]).toContain(`kubernetes.io/cluster/${config.name}=owned`);
  });

  it("keeps the cluster's credentials and the StorageClass in the wait's triggers, from the cluster stack's state", () => {
    const triggers = wait.body.triggers as Record<string, string>;
    for (const key of [VOLUME_WAIT_TRIGGERS.apiServerUrl, VOLUME_WAIT_TRIGGERS.caCertificatePem, VOLUME_WAIT_TRIGGERS.clientCertificatePem, VOLUME_WAIT_TRIGGERS.clientKeyPem]) {
      expect(triggers[key]).toMatch(/^\$\{data\.terraform_remote_state\.[^}]+\}$/);
    }
    expect(triggers[VOLUME_WAIT_TRIGGERS.storageClass]).toBe(`\${${storageClass.address}.metadata[0].name}`);
  });

  it("bounds the wait by config", () => {
    const longer = onlyResource(synthApp({ platform: { storage: { volumeDeletionTimeoutSeconds: 1800 } } }).stack("platform"), "time_static", "volume-cleanup");
    const exec = (longer.body.provisioner as Array<{ "local-exec": { environment: Record<string, string> } }>)[0]!["local-exec"];
    expect(exec.environment[VOLUME_WAIT_ENV.timeoutSeconds]).toBe("1800");
  });
});

describe("the volume wait program", () => {
  const pv = (name: string, claim: { ns: string; name: string; uid: string } | null, extra: Partial<KubeObject["metadata"]> = {}, cls: string = STORAGE_CLASS.name): KubeObject => ({
    metadata: { name, ...extra },
    spec: {
      storageClassName: cls,
      csi: { volumeHandle: `vol-${name}` },
      ...(claim ? { claimRef: { namespace: claim.ns, name: claim.name, uid: claim.uid } } : {}),
    },
    status: { phase: claim ? "Bound" : "Released" },
  });
  const pvc = (ns: string, name: string, uid: string, extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({ metadata: { namespace: ns, name, uid, ...extra } });
  const settings = (over: Record<string, string> = {}) =>
    waitProgram.readSettings({
      VOLUMES_API_SERVER_URL: "https://203.0.113.10:6443",
      VOLUMES_CA_CERT_PEM: "ca",
      VOLUMES_CLIENT_CERT_PEM: "cert",
      VOLUMES_CLIENT_KEY_PEM: "key",
      VOLUMES_STORAGE_CLASS: STORAGE_CLASS.name,
      VOLUMES_TIMEOUT_SECONDS: "60",
      VOLUMES_INTERVAL_SECONDS: "10",
      VOLUMES_SWEEP_HINT: "run the sweep",
      ...over,
    });

  /** Runs the wait against a sequence of answers, on a fake clock that each sleep advances. */
  async function simulate(answers: Listing[], s = settings()): Promise<{ code: number; log: string[]; listed: number }> {
    let clock = 0;
    let i = 0;
    const log: string[] = [];
    const code = await waitProgram.run(s, {
      list: async () => answers[Math.min(i++, answers.length - 1)] as Listing,
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => clock,
      log: (line) => log.push(line),
    });
    return { code, log, listed: i };
  }

  it("waits for volumes whose claim is gone or terminating, not for volumes a live claim holds", () => {
    const { deleting, claimed } = waitProgram.classify(
      [
        pv("a", { ns: "monitoring", name: "prometheus-db", uid: "1" }),
        pv("b", { ns: "monitoring", name: "grafana", uid: "2" }),
        pv("c", { ns: "team", name: "data", uid: "3" }),
        pv("d", null),
        pv("e", { ns: "team", name: "other", uid: "9" }),
        pv("f", { ns: "team", name: "data", uid: "3" }, {}, "some-other-class"),
      ],
      [pvc("monitoring", "grafana", "2", { deletionTimestamp: "2026-01-01T00:00:00Z" }), pvc("team", "data", "3"), pvc("team", "other", "8")],
      STORAGE_CLASS.name,
    );
    expect(deleting.map((v) => v.name)).toEqual(["a", "b", "d", "e"]);
    expect(claimed.map((v) => v.name)).toEqual(["c"]);
    expect(deleting[0]).toEqual({ name: "a", volumeId: "vol-a", phase: "Bound", claim: "monitoring/prometheus-db" });
  });

  it("returns once the driver has deleted the last volume", async () => {
    const r = await simulate([
      { ok: true, volumes: [pv("a", null), pv("b", null)], claims: [] },
      { ok: true, volumes: [pv("b", null)], claims: [] },
      { ok: true, volumes: [], claims: [] },
    ]);
    expect(r.code).toBe(0);
    expect(r.listed).toBe(3);
    expect(r.log[r.log.length - 1]).toMatch(/no volume of StorageClass ebs-gp3 left/);
  });

  it("returns at once on a live cluster whose volumes are all claimed (a replaced wait on a deploy), naming them", async () => {
    const r = await simulate([{ ok: true, volumes: [pv("a", { ns: "monitoring", name: "prometheus-db", uid: "1" })], claims: [pvc("monitoring", "prometheus-db", "1")] }]);
    expect(r.code).toBe(0);
    expect(r.listed).toBe(1);
    expect(r.log.join("\n")).toMatch(/1 volume\(s\) of StorageClass ebs-gp3 are still claimed.*a \(vol-a, Bound, claim monitoring\/prometheus-db\).*run the sweep/);
  });

  it("fails the destroy at the timeout while volumes remain, naming them and the sweep", async () => {
    const r = await simulate([{ ok: true, volumes: [pv("a", null)], claims: [] }]);
    expect(r.code).toBe(1);
    expect(r.listed).toBe(7); // at 0, 10, ... 60 s
    expect(r.log[r.log.length - 1]).toMatch(/gave up after 60 s with 1 volume\(s\) not deleted: a \(vol-a, Released\).*run the sweep/);
  });

  it("goes on, with a warning, when the API server cannot be reached at all", async () => {
    const r = await simulate([{ ok: false, failure: "unreachable", reason: "connect ECONNREFUSED" }], settings({ VOLUMES_UNREACHABLE_SECONDS: "30" }));
    expect(r.code).toBe(0);
    expect(r.listed).toBe(4);
    expect(r.log[r.log.length - 1]).toMatch(/cannot reach the API server .*ECONNREFUSED.*run the sweep/);
  });

  it("keeps waiting through a short API outage", async () => {
    const r = await simulate(
      [
        { ok: true, volumes: [pv("a", null)], claims: [] },
        { ok: false, failure: "unreachable", reason: "timed out" },
        { ok: true, volumes: [], claims: [] },
      ],
      settings({ VOLUMES_UNREACHABLE_SECONDS: "30" }),
    );
    expect(r.code).toBe(0);
  });

  it("counts only failures without an HTTP answer as unreachable; 401/403 as rejected; any other status as a retryable answer", () => {
    const path = "/api/v1/persistentvolumes";
    const transport = [
      "connect ECONNREFUSED 203.0.113.10:6443",
      "connect ETIMEDOUT 203.0.113.10:6443",
      "connect EHOSTUNREACH 203.0.113.10:6443",
      "getaddrinfo ENOTFOUND api.example.invalid",
      "unable to verify the first certificate",
      "no answer within 10s",
    ];
    for (const reason of transport) expect(waitProgram.interpretAnswer(path, { ok: false, reason })).toMatchObject({ ok: false, failure: "unreachable" });
    for (const status of [401, 403]) expect(waitProgram.interpretAnswer(path, { ok: true, status, body: "" })).toMatchObject({ ok: false, failure: "rejected" });
    for (const status of [429, 500, 502, 503, 504, 404]) {
      expect(waitProgram.interpretAnswer(path, { ok: true, status, body: "" })).toMatchObject({ ok: false, failure: "answered" });
    }
    expect(waitProgram.interpretAnswer(path, { ok: true, status: 200, body: "<html>" })).toMatchObject({ ok: false, failure: "answered" });
    expect(waitProgram.interpretAnswer(path, { ok: true, status: 200, body: '{"items":[]}' })).toEqual({ ok: true, items: [] });
  });

  it("retries HTTP 5xx and 429 past the unreachable bound, up to the overall timeout, then fails naming the volumes", async () => {
    const r = await simulate(
      [
        { ok: true, volumes: [pv("a", null)], claims: [] },
        { ok: false, failure: "answered", reason: "GET /api/v1/persistentvolumes: HTTP 503" },
        { ok: false, failure: "answered", reason: "GET /api/v1/persistentvolumes: HTTP 429" },
      ],
      settings({ VOLUMES_UNREACHABLE_SECONDS: "10", VOLUMES_TIMEOUT_SECONDS: "60" }),
    );
    expect(r.code).toBe(1);
    expect(r.listed).toBe(7); // at 0, 10, ... 60 s: never the 10-second "cluster gone" exit
    expect(r.log.join("\n")).not.toMatch(/going on/);
    expect(r.log[r.log.length - 1]).toMatch(/gave up after 60 s of errors from the API server \(.*HTTP 429\); 1 volume\(s\) not deleted at the last listing: a \(vol-a, Released\).*run the sweep/);
  });

  it("keeps waiting through a burst of HTTP 503 and finishes when the volumes are gone", async () => {
    const r = await simulate(
      [
        { ok: true, volumes: [pv("a", null)], claims: [] },
        { ok: false, failure: "answered", reason: "HTTP 503" },
        { ok: false, failure: "answered", reason: "HTTP 503" },
        { ok: true, volumes: [], claims: [] },
      ],
      settings({ VOLUMES_UNREACHABLE_SECONDS: "10" }),
    );
    expect(r.code).toBe(0);
    expect(r.listed).toBe(4);
  });

  it("says so when it never listed the volumes before giving up on HTTP errors", async () => {
    const r = await simulate([{ ok: false, failure: "answered", reason: "HTTP 500" }]);
    expect(r.code).toBe(1);
    expect(r.log[r.log.length - 1]).toMatch(/the volumes were never listed/);
  });

  it("fails at once when the API server rejects the credentials, saying how to renew them", async () => {
    for (const status of [401, 403]) {
      const r = await simulate([
        { ok: false, failure: "rejected", reason: `GET /api/v1/persistentvolumes: HTTP ${status}` },
        { ok: true, volumes: [], claims: [] },
      ]);
      expect(r.code).toBe(1);
      expect(r.listed).toBe(1);
      const message = r.log[r.log.length - 1];
      expect(message).toMatch(new RegExp(`rejected the admin credentials \\(GET /api/v1/persistentvolumes: HTTP ${status}\\)`));
      expect(message).toMatch(/certificate has probably expired/);
      expect(message).toContain("cdktf deploy '*'");
      expect(message).toContain("VOLUMES_ON_REJECTED_CREDENTIALS=continue");
      expect(message).toMatch(/run the sweep$/);
    }
  });

  it("goes on past rejected credentials only when VOLUMES_ON_REJECTED_CREDENTIALS=continue is exported", async () => {
    expect(settings().continueOnRejectedCredentials).toBe(false);
    expect(settings({ VOLUMES_ON_REJECTED_CREDENTIALS: "yes" }).continueOnRejectedCredentials).toBe(false);
    const r = await simulate([{ ok: false, failure: "rejected", reason: "HTTP 401" }], settings({ VOLUMES_ON_REJECTED_CREDENTIALS: "continue" }));
    expect(r.code).toBe(0);
    expect(r.log[r.log.length - 1]).toMatch(/going on without checking.*run the sweep/);
  });

  it("rejects missing or malformed input, and exits 2 for it", () => {
    expect(waitProgram.readSettings({}).problems).toEqual(
      expect.arrayContaining(["VOLUMES_API_SERVER_URL is not set", "VOLUMES_STORAGE_CLASS is not set", "VOLUMES_TIMEOUT_SECONDS is not set"]),
    );
    expect(settings({ VOLUMES_API_SERVER_URL: "http://x:6443" }).problems).toEqual(['VOLUMES_API_SERVER_URL must be https://host:port, got "http://x:6443"']);
    expect(settings({ VOLUMES_TIMEOUT_SECONDS: "soon" }).problems).toEqual(['VOLUMES_TIMEOUT_SECONDS must be a positive number of seconds, got "soon"']);
    let status = 0;
    let stderr = "";
    try {
      execFileSync(process.execPath, [VOLUME_WAIT_PROGRAM], { env: {}, stdio: "pipe" });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/VOLUMES_API_SERVER_URL is not set/);
  });
});

describe("the cluster-side contract (lib/storage.ts)", () => {
  const config = testConfig();
  const policy = ebsCsiPolicy(config);
  const tagKey = `kubernetes.io/cluster/${config.name}`;

  it("tags volumes with the cluster tag and the driver's own tag", () => {
    expect(ebsVolumeTags(config)).toEqual({ [tagKey]: "owned", [EBS_CSI_DRIVER_TAG.key]: "true" });
    expect(extraVolumeTags({ name: "x", tags: { Team: "a" } })).toEqual({ Project: "x", Team: "a" });
  });

  it("allows unscoped reads only; every write is limited to this region and to this cluster's tagged volumes and instances", () => {
    const statements = policy.Statement;
    const reads = statements.filter((s) => s.Resource === "*");
    expect(reads).toHaveLength(1);
    expect(reads[0]!.Action.every((a) => a.startsWith("ec2:Describe"))).toBe(true);
    const writes = statements.filter((s) => s.Resource !== "*");
    expect(writes.length).toBeGreaterThan(0);
    for (const s of writes) {
      expect(s.Condition).toBeDefined();
      for (const r of [s.Resource].flat()) expect(r).toMatch(new RegExp(`^arn:aws:ec2:${config.region}:\\*:(volume|instance)/\\*$`));
    }
    const actions = (sid: string) => statements.find((s) => s.Sid === sid)!;
    expect(actions("CreateTaggedVolumes").Condition).toEqual({
      StringEquals: { [`aws:RequestTag/${tagKey}`]: "owned", "aws:RequestTag/ebs.csi.aws.com/cluster": "true" },
    });
    expect(actions("TagVolumesOnlyWhenCreating").Condition).toEqual({ StringEquals: { "ec2:CreateAction": ["CreateVolume"] } });
    expect(actions("ManageThisClustersVolumes").Action).toEqual(expect.arrayContaining(["ec2:DeleteVolume", "ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume"]));
    expect(actions("ManageThisClustersVolumes").Condition).toEqual({
      StringEquals: { [`aws:ResourceTag/${tagKey}`]: "owned", "aws:ResourceTag/ebs.csi.aws.com/cluster": "true" },
    });
    expect(actions("AttachToThisClustersInstances").Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${tagKey}`]: "owned" } });
    // No action anywhere may touch snapshots, other services or every resource.
    const all = statements.flatMap((s) => s.Action);
    expect(all.every((a) => a.startsWith("ec2:"))).toBe(true);
    expect(all.some((a) => /Snapshot|DeleteTags/.test(a))).toBe(false);
  });

  it("follows the cluster name and the region's partition", () => {
    const gov = ebsCsiPolicy({ name: "gov-mesh", region: "us-gov-west-1" });
    const volumes = gov.Statement.find((s) => s.Sid === "ManageThisClustersVolumes")!;
    expect(volumes.Resource).toBe("arn:aws-us-gov:ec2:us-gov-west-1:*:volume/*");
    expect(volumes.Condition?.StringEquals?.["aws:ResourceTag/kubernetes.io/cluster/gov-mesh"]).toBe("owned");
  });

  it("fits an IAM user's inline policies (2,048 characters), even for the longest cluster name", () => {
    expect(JSON.stringify(ebsCsiPolicy({ name: "a".repeat(24), region: "ap-southeast-7" })).length).toBeLessThan(2048);
  });

  it("states the IMDS settings every node needs (hop limit 1, the node plugin is on the host network) and the provider ID format", () => {
    expect(EBS_CSI_NODE_REQUIREMENTS).toEqual({ imdsHopLimit: 1, httpTokens: "required" });
    expect(awsProviderId("ap-northeast-2a", "i-0123456789abcdef0")).toBe("aws:///ap-northeast-2a/i-0123456789abcdef0");
    expect(awsProviderId("ap-northeast-2a", "i-0123456789abcdef0")).toMatch(AWS_PROVIDER_ID_PATTERN);
    expect("aws:///i-0123456789abcdef0").not.toMatch(AWS_PROVIDER_ID_PATTERN);
  });

  it("sweeps only unattached volumes carrying both volume tags, in this region", () => {
    const list = sweepVolumesCommand(config, "list");
    expect(list).toBe(
      `aws ec2 describe-volumes --region ${config.region} --filters Name=tag:${tagKey},Values=owned Name=tag:ebs.csi.aws.com/cluster,Values=true ` +
        "Name=status,Values=available --query 'Volumes[].VolumeId' --output text",
    );
    expect(sweepVolumesCommand(config, "delete")).toContain(`$(${list})`);
    expect(sweepVolumesCommand(config, "delete")).toContain("aws ec2 delete-volume");
  });
});
