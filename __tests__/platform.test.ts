/**
 * The platform stack as Terraform sees it: providers from the cluster
 * stack's remote state, pinned releases in the one order that works on an
 * empty cluster, the node-readiness gate, Linkerd's namespace and identity,
 * and the Grafana password and NodePort.
 */
import { parse } from "yaml";
import { ConfigError, loadConfig, type Config } from "../lib/config";
import { CHARTS, IMAGES } from "../lib/versions";
import { covers, PORTS } from "../lib/ports";
import { NAMESPACES, RELEASES } from "../lib/k8s-names";
import { OUTPUT_NAMES } from "../lib/stack-outputs";
import { LINKERD_CA_USES, LINKERD_IDENTITY_NAMES } from "../stacks/platform/linkerd-identity";
import { flannelValues } from "../stacks/platform/flannel";
import { linkerdControlPlaneValues } from "../stacks/platform/linkerd";
import { kubePrometheusStackValues } from "../stacks/platform/monitoring-values";
import { ALERTMANAGER_WEBHOOK_VARIABLE } from "../stacks/platform/platform-stack";
import { ALERTMANAGER_WEBHOOK_SECRET } from "../lib/alerting/alertmanager";
import { namespaceNamed, onlyResource, releaseNamed, resourcesOf, synthApp, type SynthesizedStack } from "./helpers/synth";

interface PlatformSynth {
  readonly config: Config;
  readonly platform: SynthesizedStack;
  readonly network: SynthesizedStack;
}

/** The platform and network stacks, synthesized inside the whole app (cross-stack references resolved). */
/**
 * The proxy injector's default namespaceSelector, as linkerd-control-plane
 * 1.16.11 ships it (charts/linkerd-control-plane/values.yaml at
 * stable-2.14.10, `proxyInjector.namespaceSelector`; the platform does not
 * override it), evaluated the way the API server evaluates NotIn.
 */
const INJECTOR_NAMESPACE_SELECTOR = [
  { key: "config.linkerd.io/admission-webhooks", operator: "NotIn", values: ["disabled"] },
  { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "cert-manager"] },
] as const;

function linkerdWebhooksSelect(labels: Record<string, string>): boolean {
  return INJECTOR_NAMESPACE_SELECTOR.every((e) => !(e.key in labels) || !(e.values as readonly string[]).includes(labels[e.key] as string));
}

function synthPlatform(context: unknown = {}): PlatformSynth {
  const app = synthApp(context);
  return { config: app.config, platform: app.stack("platform"), network: app.stack("network") };
}

type Resource = Record<string, unknown>;

function dependsOn(r: { body: Resource }): string[] {
  return (r.body.depends_on as string[] | undefined) ?? [];
}

function values(r: { body: Resource }): Record<string, unknown> {
  const docs = r.body.values as string[];
  expect(docs).toHaveLength(1);
  return parse(docs[0] as string) as Record<string, unknown>;
}

function setEntries(r: { body: Resource }, attribute: "set" | "set_sensitive"): Record<string, string> {
  const list = (r.body[attribute] as Array<{ name: string; value: string }> | undefined) ?? [];
  return Object.fromEntries(list.map((e) => [e.name, e.value]));
}

describe("PlatformStack", () => {
  const { config, platform } = synthPlatform();

  it("configures the Kubernetes and Helm providers from the cluster stack's remote state", () => {
    const remote = /^(https:\/\/)?\$\{data\.terraform_remote_state\.[^}]+\}(:\d+)?$/;
    const kubernetes = (platform.tf.provider?.kubernetes as Array<Record<string, string>>)[0] as Record<string, string>;
    const helm = ((platform.tf.provider?.helm as Array<Record<string, unknown>>)[0] as { kubernetes: Record<string, string> }).kubernetes;
    for (const connection of [kubernetes, helm]) {
      for (const attribute of ["host", "cluster_ca_certificate", "client_certificate", "client_key"]) {
        expect(connection[attribute]).toMatch(remote);
      }
      expect(connection.config_path).toBeUndefined();
    }
    expect(Object.keys(platform.tf.data?.terraform_remote_state ?? {})).not.toHaveLength(0);
  });

  it.each([
    ["flannel", RELEASES.flannel, CHARTS.flannel, NAMESPACES.flannel],
    ["linkerdCrds", RELEASES.linkerdCrds, CHARTS.linkerdCrds, NAMESPACES.linkerd],
    ["linkerdControlPlane", RELEASES.linkerdControlPlane, CHARTS.linkerdControlPlane, NAMESPACES.linkerd],
    ["kubePrometheusStack", RELEASES.kubePrometheusStack, CHARTS.kubePrometheusStack, NAMESPACES.monitoring],
  ] as const)("pins the %s release to lib/versions.ts and waits for it", (_key, name, chart, namespace) => {
    const r = releaseNamed(platform, name).body;
    expect(r).toMatchObject({
      chart: chart.chart,
      repository: chart.repository,
      version: chart.version,
      wait: true,
      timeout: config.platform.helmTimeoutSeconds,
      create_namespace: false,
    });
    const namespaceAddress = /^\$\{(kubernetes_namespace_v1\.[^}]+)\.metadata\[0\]\.name\}$/.exec(r.namespace as string)?.[1];
    expect(namespaceAddress).toBe(namespaceNamed(platform, namespace).address);
  });

  it("installs flannel → nodes Ready, then storage → monitoring beside linkerd namespace → linkerd-crds → control plane", () => {
    const flannelNs = namespaceNamed(platform, NAMESPACES.flannel);
    const flannel = releaseNamed(platform, RELEASES.flannel);
    const gate = onlyResource(platform, "kubernetes_deployment_v1", "nodes-ready");
    const driver = releaseNamed(platform, RELEASES.awsEbsCsiDriver);
    const storageClass = onlyResource(platform, "kubernetes_storage_class_v1");
    const volumeWait = onlyResource(platform, "time_static", "volume-cleanup");
    const monitoringNs = namespaceNamed(platform, NAMESPACES.monitoring);
    const monitoring = releaseNamed(platform, RELEASES.kubePrometheusStack);
    const linkerdNs = namespaceNamed(platform, NAMESPACES.linkerd);
    const crds = releaseNamed(platform, RELEASES.linkerdCrds);
    const controlPlane = releaseNamed(platform, RELEASES.linkerdControlPlane);

    expect(dependsOn(flannel)).toContain(flannelNs.address);
    expect(dependsOn(gate)).toEqual([flannel.address]);
    // The driver also waits for its own identity (the IAM role it assumes by web identity, and the role's policy).
    const credentials = [onlyResource(platform, "aws_iam_role", "ebs-csi"), onlyResource(platform, "aws_iam_role_policy", "ebs-csi")];
    expect(dependsOn(driver)).toEqual([gate.address, ...credentials.map((c) => c.address)]);
    expect(dependsOn(storageClass)).toEqual([driver.address]);
    expect(dependsOn(volumeWait)).toEqual([driver.address, storageClass.address]);
    expect(dependsOn(monitoringNs)).toEqual([gate.address, storageClass.address, volumeWait.address]);
    expect(dependsOn(monitoring)).toContain(monitoringNs.address);
    expect(dependsOn(linkerdNs)).toEqual([gate.address]);
    expect(dependsOn(crds)).toEqual([linkerdNs.address]);
    expect(dependsOn(controlPlane)).toEqual([crds.address]);
  });

  it("hands each chart exactly the values its values function builds", () => {
    expect(values(releaseNamed(platform, RELEASES.flannel))).toEqual(flannelValues(config));
    expect(values(releaseNamed(platform, RELEASES.linkerdCrds))).toEqual({});
    expect(values(releaseNamed(platform, RELEASES.linkerdControlPlane))).toEqual(linkerdControlPlaneValues(config));
    expect(values(releaseNamed(platform, RELEASES.kubePrometheusStack))).toEqual(JSON.parse(JSON.stringify(kubePrometheusStackValues(config))));
  });

  it("uses no custom resource that would need its CRD at plan time", () => {
    expect(resourcesOf(platform, "kubernetes_manifest")).toEqual({});
  });
});

describe("Flannel", () => {
  const { config, platform, network } = synthPlatform();

  it("runs VXLAN over the pod CIDR kubeadm was given, on the port table's overlay port", () => {
    const v = values(releaseNamed(platform, RELEASES.flannel));
    expect(v).toEqual({ podCidr: config.cluster.podCidr, flannel: { backend: "vxlan", backendPort: PORTS.flannelVxlan.port } });
  });

  it("follows a changed pod CIDR", () => {
    const v = values(releaseNamed(synthPlatform({ cluster: { podCidr: "10.200.0.0/16" } }).platform, RELEASES.flannel));
    expect(v.podCidr).toBe("10.200.0.0/16");
  });

  it("gets a namespace with Pod Security 'privileged' (it configures the host network)", () => {
    const ns = namespaceNamed(platform, NAMESPACES.flannel).body.metadata as { labels: Record<string, string> };
    expect(ns.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
  });

  it("gets a namespace Linkerd's admission webhooks skip (its pods never wait on the injector)", () => {
    const ns = namespaceNamed(platform, NAMESPACES.flannel).body.metadata as { name: string; labels: Record<string, string> };
    expect(linkerdWebhooksSelect({ "kubernetes.io/metadata.name": ns.name, ...ns.labels })).toBe(false);
  });

  it("has its overlay traffic (UDP 8472) carried by the cluster security group's node-to-node rule", () => {
    expect(PORTS.flannelVxlan).toMatchObject({ protocol: "udp", reach: "cluster" });
    const rules = Object.values(resourcesOf(network, "aws_vpc_security_group_ingress_rule"));
    const selfRules = rules.filter((r) => r.referenced_security_group_id !== undefined && r.referenced_security_group_id === r.security_group_id);
    const carrying = selfRules.filter(
      (r) =>
        r.ip_protocol === "-1" ||
        (r.ip_protocol === PORTS.flannelVxlan.protocol && covers({ ...PORTS.flannelVxlan, port: r.from_port as number, toPort: r.to_port as number }, PORTS.flannelVxlan.port)),
    );
    expect(carrying).not.toHaveLength(0);
    // The node group (the one the NodePort rules sit on) is the one that carries it.
    const nodePortGroup = rules.find((r) => r.from_port === config.nodePorts.grafana)?.security_group_id;
    expect(carrying.map((r) => r.security_group_id)).toContain(nodePortGroup);
  });
});

describe("NodeReadinessGate", () => {
  const { config, platform } = synthPlatform();
  interface GateSpec {
    replicas: string;
    strategy: { type: string };
    template: {
      spec: {
        affinity: { pod_anti_affinity: { required_during_scheduling_ignored_during_execution: Array<{ topology_key: string; label_selector: unknown }> } };
        toleration: Array<{ key: string; effect: string }>;
        container: Array<{ image: string }>;
      };
      metadata: { labels: Record<string, string> };
    };
  }
  const gate = (p: SynthesizedStack) =>
    onlyResource(p, "kubernetes_deployment_v1", "nodes-ready").body as { spec: GateSpec; wait_for_rollout: boolean; timeouts: { create: string } };

  it("runs one replica per node (workers + control plane) and waits for all of them", () => {
    const g = gate(platform);
    expect(g.spec.replicas).toBe(String(config.cluster.workers.count + 1));
    expect(g.wait_for_rollout).toBe(true);
    expect(g.timeouts.create).toBe(`${config.platform.helmTimeoutSeconds}s`);
    expect(gate(synthPlatform({ cluster: { workers: { count: 4 } } }).platform).spec.replicas).toBe("5");
  });

  it("places at most one replica per node, the control plane included, and never surges", () => {
    const { spec } = gate(platform);
    expect(spec.strategy.type).toBe("Recreate");
    const pod = spec.template.spec;
    const required = pod.affinity.pod_anti_affinity.required_during_scheduling_ignored_during_execution;
    expect(required).toEqual([{ topology_key: "kubernetes.io/hostname", label_selector: [{ match_labels: spec.template.metadata.labels }] }]);
    expect(pod.toleration).toEqual([expect.objectContaining({ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" })]);
    expect(pod.container.map((c) => c.image)).toEqual([IMAGES.pause]);
  });
});

describe("Linkerd", () => {
  const { config, platform } = synthPlatform();

  it("creates the linkerd namespace with the labels and annotation the CLI puts on it", () => {
    const ns = namespaceNamed(platform, NAMESPACES.linkerd).body.metadata as { labels: Record<string, string>; annotations: Record<string, string> };
    expect(ns.labels).toEqual({
      "linkerd.io/is-control-plane": "true",
      "config.linkerd.io/admission-webhooks": "disabled",
      "linkerd.io/control-plane-ns": NAMESPACES.linkerd,
      "pod-security.kubernetes.io/enforce": "privileged",
    });
    expect(ns.annotations).toEqual({ "linkerd.io/inject": "disabled" });
  });

  it("generates an ECDSA P-256 trust anchor and an issuer CA signed by it, with lifetimes from config", () => {
    const keys = Object.values(resourcesOf(platform, "tls_private_key"));
    expect(keys).toHaveLength(2);
    keys.forEach((k) => expect(k).toMatchObject({ algorithm: "ECDSA", ecdsa_curve: "P256" }));

    const anchor = onlyResource(platform, "tls_self_signed_cert");
    expect(anchor.body).toMatchObject({
      is_ca_certificate: true,
      allowed_uses: [...LINKERD_CA_USES.trustAnchor],
      validity_period_hours: config.platform.linkerd.trustAnchorValidityHours,
      subject: [{ common_name: LINKERD_IDENTITY_NAMES.trustAnchor }],
    });
    expect(LINKERD_IDENTITY_NAMES.trustAnchor).toBe("root.linkerd.cluster.local");

    const issuer = onlyResource(platform, "tls_locally_signed_cert");
    expect(issuer.body).toMatchObject({
      is_ca_certificate: true,
      allowed_uses: ["cert_signing", "crl_signing", "server_auth", "client_auth"],
      validity_period_hours: config.platform.linkerd.issuerValidityHours,
      ca_cert_pem: `\${${anchor.address}.cert_pem}`,
      // Signed with the anchor's own key.
      ca_private_key_pem: anchor.body.private_key_pem,
    });
    expect(anchor.body.private_key_pem).toMatch(/^\$\{tls_private_key\..+\.private_key_pem\}$/);
    const request = onlyResource(platform, "tls_cert_request");
    expect(request.body.subject).toEqual([{ common_name: "identity.linkerd.cluster.local" }]);
    expect(issuer.body.cert_request_pem).toBe(`\${${request.address}.cert_request_pem}`);

    const longer = synthPlatform({ platform: { linkerd: { issuerValidityHours: 100, trustAnchorValidityHours: 200, issuerEarlyRenewalHours: 10 } } }).platform;
    expect(onlyResource(longer, "tls_locally_signed_cert").body.validity_period_hours).toBe(100);
    expect(onlyResource(longer, "tls_locally_signed_cert").body.early_renewal_hours).toBe(10);
    expect(onlyResource(longer, "tls_self_signed_cert").body.validity_period_hours).toBe(200);
  });

  it("renews the issuer on a deploy in its last 30 days, before it expires, but never the trust anchor", () => {
    const issuer = onlyResource(platform, "tls_locally_signed_cert");
    expect(config.platform.linkerd.issuerEarlyRenewalHours).toBe(720);
    expect(issuer.body.early_renewal_hours).toBe(config.platform.linkerd.issuerEarlyRenewalHours);
    expect(issuer.body.early_renewal_hours as number).toBeLessThan(issuer.body.validity_period_hours as number);
    // A new anchor would break trust between every proxy until all restart.
    expect(onlyResource(platform, "tls_self_signed_cert").body).not.toHaveProperty("early_renewal_hours");
  });

  it("passes the certificates as string values and the issuer key only as a sensitive value", () => {
    const controlPlane = releaseNamed(platform, RELEASES.linkerdControlPlane);
    const anchor = onlyResource(platform, "tls_self_signed_cert");
    const issuer = onlyResource(platform, "tls_locally_signed_cert");
    const request = onlyResource(platform, "tls_cert_request");
    const issuerKey = (request.body.private_key_pem as string).replace(/^\$\{(.+)\}$/, "$1");

    expect(setEntries(controlPlane, "set")).toEqual({
      identityTrustAnchorsPEM: `\${${anchor.address}.cert_pem}`,
      "identity.issuer.tls.crtPEM": `\${${issuer.address}.cert_pem}`,
    });
    expect(setEntries(controlPlane, "set_sensitive")).toEqual({ "identity.issuer.tls.keyPEM": `\${${issuerKey}}` });
    expect(issuerKey).toMatch(/^tls_private_key\..+\.private_key_pem$/);
    expect(JSON.stringify(controlPlane.body.values)).not.toContain("private_key_pem");
  });

  it("runs linkerd-init with the nftables backend the Ubuntu 24.04 nodes use", () => {
    expect(values(releaseNamed(platform, RELEASES.linkerdControlPlane))).toMatchObject({ proxyInit: { iptablesMode: "nft" } });
  });

  it("disables the heartbeat CronJob (it would change on every deploy and phones home)", () => {
    expect(values(releaseNamed(platform, RELEASES.linkerdControlPlane))).toMatchObject({ disableHeartBeat: true });
  });

  it("runs without high availability by default", () => {
    const v = values(releaseNamed(platform, RELEASES.linkerdControlPlane));
    expect(v.controllerReplicas).toBeUndefined();
    expect(v.enablePodAntiAffinity).toBeUndefined();
  });

  it("applies the chart's HA values when enabled with enough workers", () => {
    const ha = synthPlatform({ cluster: { workers: { count: 3 } }, platform: { linkerd: { highAvailability: true } } }).platform;
    expect(values(releaseNamed(ha, RELEASES.linkerdControlPlane))).toMatchObject({
      controllerReplicas: 3,
      enablePodAntiAffinity: true,
      enablePodDisruptionBudget: true,
      webhookFailurePolicy: "Fail",
      disableHeartBeat: true,
    });
  });

  it("refuses HA with fewer than 3 workers, naming the setting", () => {
    expect(() => loadConfig({ context: { platform: { linkerd: { highAvailability: true } } }, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ context: { platform: { linkerd: { highAvailability: true } } }, env: {} })).toThrow(
      /platform\.linkerd\.highAvailability: got true; needs cluster\.workers\.count of at least 3 \(it is 2\)/,
    );
  });
});

describe("Monitoring", () => {
  const { config, platform, network } = synthPlatform();
  const kps = () => releaseNamed(platform, RELEASES.kubePrometheusStack);

  it("exposes Grafana on the configured NodePort, the one the security group opens", () => {
    const grafana = values(kps()).grafana as { service: Record<string, unknown> };
    expect(grafana.service).toEqual({
      type: "NodePort",
      port: PORTS.grafanaService.port,
      targetPort: PORTS.grafanaHttp.port,
      nodePort: config.nodePorts.grafana,
    });
    const opened = Object.values(resourcesOf(network, "aws_vpc_security_group_ingress_rule")).filter(
      (r) => r.from_port === config.nodePorts.grafana && r.to_port === config.nodePorts.grafana && r.ip_protocol === "tcp",
    );
    expect(opened).not.toHaveLength(0);
  });

  it("follows a moved Grafana NodePort in both the Service and the security group", () => {
    const moved = synthPlatform({ nodePorts: { grafana: 31234 } });
    expect((values(releaseNamed(moved.platform, RELEASES.kubePrometheusStack)).grafana as { service: { nodePort: number } }).service.nodePort).toBe(31234);
    expect(Object.values(resourcesOf(moved.network, "aws_vpc_security_group_ingress_rule")).some((r) => r.from_port === 31234)).toBe(true);
  });

  it("sets the Grafana admin password from random_password, sensitive, never prom-operator", () => {
    const r = kps();
    const password = onlyResource(platform, "random_password");
    expect(setEntries(r, "set_sensitive")).toEqual({ "grafana.adminPassword": `\${${password.address}.result}` });
    expect(password.body).toMatchObject({ special: false });
    expect(password.body.length as number).toBeGreaterThanOrEqual(24);
    expect(setEntries(r, "set")).toEqual({});
    const plain = JSON.stringify(r.body.values);
    expect(plain).not.toContain("prom-operator");
    expect(plain).not.toContain("adminPassword");

    const output = platform.tf.output?.[OUTPUT_NAMES.platform.grafanaAdminPassword];
    expect(output).toMatchObject({ sensitive: true, value: `\${${password.address}.result}` });
  });

  it("keeps the monitoring namespace out of the mesh and lets node-exporter run privileged", () => {
    const ns = namespaceNamed(platform, NAMESPACES.monitoring).body.metadata as { labels: Record<string, string>; annotations: Record<string, string> };
    expect(ns.annotations["linkerd.io/inject"]).toBe("disabled");
    expect(ns.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
  });

  it("keeps the monitoring namespace out of Linkerd's admission webhooks' namespaceSelector", () => {
    const ns = namespaceNamed(platform, NAMESPACES.monitoring).body.metadata as { name: string; labels: Record<string, string> };
    expect(linkerdWebhooksSelect({ "kubernetes.io/metadata.name": ns.name, ...ns.labels })).toBe(false);
    // The selector itself still picks an ordinary namespace (the check can fail).
    expect(linkerdWebhooksSelect({ "kubernetes.io/metadata.name": NAMESPACES.bookinfo })).toBe(true);
  });
});

describe("Alertmanager webhook", () => {
  const variables = (stack: SynthesizedStack) => (stack.tf as { variable?: Record<string, Record<string, unknown>> }).variable ?? {};
  const webhookSecrets = (stack: SynthesizedStack) =>
    Object.keys(resourcesOf(stack, "kubernetes_secret_v1")).filter((id) => id.includes("alertmanager-webhook"));

  describe("off (the default)", () => {
    const { config, platform } = synthPlatform();

    it("declares no Terraform variable and creates no Secret, so a deploy needs nothing exported", () => {
      expect(config.alerting.webhookEnabled).toBe(false);
      expect(variables(platform)).not.toHaveProperty(ALERTMANAGER_WEBHOOK_VARIABLE);
      expect(webhookSecrets(platform)).toEqual([]);
      expect(JSON.stringify(platform.tf)).not.toContain(`var.${ALERTMANAGER_WEBHOOK_VARIABLE}`);
    });

    it("mounts no Secret into Alertmanager and points no receiver at a webhook file", () => {
      const v = values(releaseNamed(platform, RELEASES.kubePrometheusStack)) as { alertmanager: { alertmanagerSpec: Record<string, unknown>; config: unknown } };
      expect(v.alertmanager.alertmanagerSpec).not.toHaveProperty("secrets");
      expect(JSON.stringify(v.alertmanager.config)).not.toContain("api_url_file");
    });
  });

  describe("on", () => {
    const { platform } = synthPlatform({ alerting: { webhookEnabled: true } });
    const kps = () => releaseNamed(platform, RELEASES.kubePrometheusStack);

    it("requires the variable: sensitive, no default, not nullable, an http(s) URL", () => {
      const variable = variables(platform)[ALERTMANAGER_WEBHOOK_VARIABLE];
      expect(variable).toMatchObject({ type: "string", sensitive: true, nullable: false });
      expect(variable).not.toHaveProperty("default");
      const validation = (variable?.validation as Array<{ condition: string; error_message: string }>)[0];
      expect(validation?.condition).toBe(`\${can(regex("^https?://", var.${ALERTMANAGER_WEBHOOK_VARIABLE}))}`);
      expect(validation?.error_message).toContain(`TF_VAR_${ALERTMANAGER_WEBHOOK_VARIABLE}`);
    });

    it("creates the Alertmanager webhook Secret from the variable before the release that mounts it", () => {
      const secret = onlyResource(platform, "kubernetes_secret_v1", "alertmanager-webhook");
      expect(secret.body.data).toEqual({ url: `\${var.${ALERTMANAGER_WEBHOOK_VARIABLE}}` });
      expect(dependsOn(kps())).toContain(secret.address);
      expect((secret.body.metadata as { namespace: string }).namespace).toBe(
        `\${${namespaceNamed(platform, NAMESPACES.monitoring).address}.metadata[0].name}`,
      );
      const v = values(kps()) as { alertmanager: { alertmanagerSpec: { secrets: string[] } } };
      expect(v.alertmanager.alertmanagerSpec.secrets).toEqual([ALERTMANAGER_WEBHOOK_SECRET.name]);
    });
  });
});
