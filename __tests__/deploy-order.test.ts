/**
 * The deploy order as Terraform will run it: the dependency graph of the
 * synthesized platform and apps stacks (depends_on and references, followed
 * transitively). Every true ordering of docs/platform.md ("Install order")
 * is there, and releases that need nothing of each other do not wait for
 * each other.
 */
import { NAMESPACES, RELEASES } from "../lib/k8s-names";
import { dependencyGraph, type DependencyGraph } from "./helpers/dependency-graph";
import { namespaceNamed, onlyResource, releaseNamed, synthApp } from "./helpers/synth";
import { PROMETHEUS_RULE_NAME } from "../stacks/apps/slo-rules";
import { REVIEWS_ROUTE_NAME } from "../stacks/apps/traffic-split";

const app = synthApp();
const platform = app.stack("platform");
const apps = app.stack("apps");
const graph = dependencyGraph(platform);
const appsGraph = dependencyGraph(apps);

const at = {
  flannelNs: namespaceNamed(platform, NAMESPACES.flannel).address,
  flannel: releaseNamed(platform, RELEASES.flannel).address,
  nodesReady: onlyResource(platform, "kubernetes_deployment_v1", "nodes-ready").address,
  ebsRole: onlyResource(platform, "aws_iam_role", "ebs-csi").address,
  ebsPolicy: onlyResource(platform, "aws_iam_role_policy", "ebs-csi").address,
  ebsCsi: releaseNamed(platform, RELEASES.awsEbsCsiDriver).address,
  storageClass: onlyResource(platform, "kubernetes_storage_class_v1").address,
  volumeWait: onlyResource(platform, "time_static", "volume-cleanup").address,
  monitoringNs: namespaceNamed(platform, NAMESPACES.monitoring).address,
  kubePrometheusStack: releaseNamed(platform, RELEASES.kubePrometheusStack).address,
  linkerdNs: namespaceNamed(platform, NAMESPACES.linkerd).address,
  linkerdCrds: releaseNamed(platform, RELEASES.linkerdCrds).address,
  linkerdControlPlane: releaseNamed(platform, RELEASES.linkerdControlPlane).address,
  trustAnchor: onlyResource(platform, "tls_self_signed_cert").address,
  issuer: onlyResource(platform, "tls_locally_signed_cert").address,
  jaegerNs: namespaceNamed(platform, NAMESPACES.linkerdJaeger).address,
  linkerdJaeger: releaseNamed(platform, RELEASES.linkerdJaeger).address,
};
type Name = keyof typeof at;

function edge(g: DependencyGraph, from: string, to: string): [string, string, boolean] {
  return [from, to, g.waitsFor(from, to)];
}

describe("platform install order (dependency graph of the synthesized stack)", () => {
  // [what, what it truly needs, why]
  const needs: Array<[Name, Name, string]> = [
    ["flannel", "flannelNs", "the release's namespace"],
    ["nodesReady", "flannel", "a pod starts only once the CNI set up its network"],
    ["ebsCsi", "nodesReady", "the controller is an ordinary pod: it needs the pod network on Ready nodes"],
    ["ebsCsi", "ebsRole", "the controller assumes this role at start; it is removed only after the driver"],
    ["ebsCsi", "ebsPolicy", "the role may act only once its policy is attached"],
    ["storageClass", "ebsCsi", "the class names the driver's provisioner"],
    ["volumeWait", "storageClass", "destroy: the wait runs before the class and the driver go"],
    ["volumeWait", "ebsCsi", "destroy: the driver deletes the volumes the wait waits for"],
    ["monitoringNs", "volumeWait", "destroy: every claim is gone before the volume wait starts"],
    ["kubePrometheusStack", "monitoringNs", "the release's namespace"],
    ["kubePrometheusStack", "storageClass", "Prometheus, Alertmanager and Grafana claim volumes of the default class"],
    ["kubePrometheusStack", "nodesReady", "its pods need the pod network"],
    ["linkerdNs", "nodesReady", "the control plane's pods need the pod network"],
    ["linkerdCrds", "linkerdNs", "the release's namespace"],
    ["linkerdControlPlane", "linkerdCrds", "the control plane serves and watches Linkerd's custom resources"],
    ["linkerdControlPlane", "trustAnchor", "identity needs the trust anchor"],
    ["linkerdControlPlane", "issuer", "identity signs with the issuer"],
    ["linkerdJaeger", "jaegerNs", "the release's namespace"],
    ["jaegerNs", "linkerdControlPlane", "the extension's pods are meshed: the injector and identity must be up"],
  ];

  it.each(needs)("%s waits for %s (%s)", (from, to) => {
    expect(edge(graph, at[from], at[to])).toEqual([at[from], at[to], true]);
  });

  // [one, other]: neither waits for the other, in either direction.
  const independent: Array<[Name, Name]> = [
    ["kubePrometheusStack", "linkerdControlPlane"],
    ["kubePrometheusStack", "linkerdCrds"],
    ["kubePrometheusStack", "linkerdNs"],
    ["monitoringNs", "linkerdNs"],
    ["ebsCsi", "linkerdNs"],
    ["storageClass", "linkerdControlPlane"],
    ["volumeWait", "linkerdControlPlane"],
    ["linkerdJaeger", "kubePrometheusStack"],
    ["linkerdJaeger", "storageClass"],
  ];

  it.each(independent)("%s and %s do not wait for each other", (a, b) => {
    expect([edge(graph, at[a], at[b]), edge(graph, at[b], at[a])]).toEqual([
      [at[a], at[b], false],
      [at[b], at[a], false],
    ]);
  });

  it("leaves kube-prometheus-stack and the Linkerd control plane with only the nodes gate (and what it waits for) in common", () => {
    const shared = [...graph.reachable(at.kubePrometheusStack)].filter((a) => graph.reachable(at.linkerdControlPlane).has(a));
    const gate = graph.reachable(at.nodesReady);
    expect(shared.filter((a) => a !== at.nodesReady && !gate.has(a))).toEqual([]);
    expect(shared).toContain(at.nodesReady);
  });
});

describe("apps order across stacks", () => {
  const outputs = platform.tf.output ?? {};
  /** The platform resources an apps block waits for through the remote-state outputs it reads. */
  function platformBlocksBehind(address: string): Set<string> {
    const found = new Set<string>();
    for (const name of appsGraph.remoteOutputsRead(address)) {
      const output = `output.${name}`;
      expect(Object.keys(outputs)).toContain(name);
      for (const a of graph.reachable(output)) found.add(a);
    }
    return found;
  }

  const bookinfoNs = namespaceNamed(apps, NAMESPACES.bookinfo).address;

  it("creates the Bookinfo namespace only after the Linkerd control plane (the proxy injector) is Ready", () => {
    expect(platformBlocksBehind(bookinfoNs).has(at.linkerdControlPlane)).toBe(true);
  });

  it("creates the Bookinfo namespace only after the trace injector (linkerd-jaeger), so every proxy reports spans", () => {
    expect(platformBlocksBehind(bookinfoNs).has(at.linkerdJaeger)).toBe(true);
  });

  it("authorizes Grafana's Jaeger queries only after linkerd-jaeger (its Server) is installed", () => {
    const ids = Object.entries(apps.tf.resource?.kubernetes_manifest ?? {})
      .filter(([, r]) => (r as { manifest: { metadata: { name: string } } }).manifest.metadata.name === "jaeger-query-clients")
      .map(([id]) => `kubernetes_manifest.${id}`);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(platformBlocksBehind(id).has(at.linkerdJaeger)).toBe(true);
  });

  it("creates every Bookinfo Deployment after the namespace (and so after the injector)", () => {
    const deployments = Object.keys(apps.tf.resource?.kubernetes_deployment_v1 ?? {}).map((id) => `kubernetes_deployment_v1.${id}`);
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) expect(edge(appsGraph, d, bookinfoNs)).toEqual([d, bookinfoNs, true]);
  });

  it("creates the policy after the namespace, and the reviews split after the per-version Services it routes to", () => {
    const manifests = Object.entries(apps.tf.resource?.kubernetes_manifest ?? {}) as Array<[string, { manifest: { kind: string; metadata: { name: string } } }]>;
    const policies = manifests.filter(([id]) => id.startsWith("policy-")).map(([id]) => `kubernetes_manifest.${id}`);
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) expect(edge(appsGraph, p, bookinfoNs)).toEqual([p, bookinfoNs, true]);
    const route = manifests.find(([, r]) => r.manifest.kind === "HTTPRoute" && r.manifest.metadata.name === REVIEWS_ROUTE_NAME);
    expect(route).toBeDefined();
    const services = Object.entries(apps.tf.resource?.kubernetes_service_v1 ?? {})
      .filter(([, r]) => /^reviews-v\d$/.test((r as { metadata: { name: string } }).metadata.name))
      .map(([id]) => `kubernetes_service_v1.${id}`);
    expect(services).toHaveLength(3);
    const from = `kubernetes_manifest.${route?.[0]}`;
    for (const svc of services) expect(edge(appsGraph, from, svc)).toEqual([from, svc, true]);
  });

  it("creates the SLO PrometheusRule only after kube-prometheus-stack (its CRD and the Operator)", () => {
    const [id] = Object.entries(apps.tf.resource?.kubernetes_manifest ?? {}).find(
      ([, r]) => ((r as { manifest: { metadata: { name: string } } }).manifest.metadata.name === PROMETHEUS_RULE_NAME),
    ) ?? [undefined];
    expect(id).toBeDefined();
    expect(platformBlocksBehind(`kubernetes_manifest.${id}`).has(at.kubePrometheusStack)).toBe(true);
  });
});
