/**
 * Tracing: Linkerd's Jaeger extension at the chart version of stable-2.14.10,
 * its sampling and storage bounds, Grafana's Jaeger datasource, and what it
 * changes in the mesh's authorization (read back from the synthesized
 * objects, with the chart's own policy as recorded from its template).
 */
import { parse } from "yaml";
import { releaseNamed, namespaceNamed, resourcesOf, synthApp, type SynthesizedStack } from "./helpers/synth";
import { problems } from "./helpers/config";
import { LINKERD_JAEGER_CHART_POLICY } from "./fixtures/tracing/chart-policy";
import { CHARTS } from "../lib/versions";
import { PORTS } from "../lib/ports";
import { JAEGER_OBJECTS, NAMESPACES, RELEASES } from "../lib/k8s-names";
import { loadChartKeys, unknownValuePaths } from "../lib/chart-values";
import { GRAFANA_JAEGER_DATASOURCE, linkerdJaegerValues } from "../stacks/platform/tracing";
import { testConfig } from "./helpers/synth";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const on = synthApp({});
const off = synthApp({ platform: { tracing: { enabled: false } } });
const platform = on.stack("platform");

function values(stack: SynthesizedStack, release: string): Obj {
  return parse((releaseNamed(stack, release).body.values as string[])[0] as string) as Obj;
}
function manifests(stack: SynthesizedStack): Obj[] {
  return Object.values(resourcesOf(stack, "kubernetes_manifest")).map((r) => r.manifest as Obj);
}
/** A Kubernetes name as synthesized, with references to namespaces, releases and the platform's outputs followed. */
function resolveName(stack: SynthesizedStack, value: string): string {
  const ns = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(value);
  if (ns) return resolveName(stack, (resourcesOf(stack, "kubernetes_namespace_v1")[ns[1] as string] as Obj).metadata.name);
  const release = /^\$\{helm_release\.([^.]+)\.namespace\}$/.exec(value);
  if (release) return resolveName(stack, (resourcesOf(stack, "helm_release")[release[1] as string] as Obj).namespace);
  const remote = /^\$\{data\.terraform_remote_state\.[^.]+\.outputs\.([^}]+)\}$/.exec(value);
  if (remote) {
    const platformStack = (stack === off.stack("apps") ? off : on).stack("platform");
    const output = platformStack.tf.output?.[remote[1] as string];
    if (!output) throw new Error(`no platform output ${remote[1]}`);
    return resolveName(platformStack, output.value as string);
  }
  return value;
}
function namespaceOf(stack: SynthesizedStack, o: Obj): string {
  return resolveName(stack, o.metadata.namespace);
}

describe("linkerd-jaeger release", () => {
  const jaeger = releaseNamed(platform, RELEASES.linkerdJaeger);

  it("installs the pinned chart into its own namespace, after the Linkerd control plane only", () => {
    expect(CHARTS.linkerdJaeger.version).toBe("30.12.11");
    expect(jaeger.body).toMatchObject({
      repository: CHARTS.linkerdJaeger.repository,
      chart: "linkerd-jaeger",
      version: CHARTS.linkerdJaeger.version,
    });
    const ns = namespaceNamed(platform, NAMESPACES.linkerdJaeger);
    expect(jaeger.body.namespace).toBe(`\${${ns.address}.metadata[0].name}`);
    expect(jaeger.body.depends_on).toEqual([ns.address]);
    expect(ns.body.depends_on).toEqual([releaseNamed(platform, RELEASES.linkerdControlPlane).address]);
    expect((ns.body.metadata as Obj).labels).toEqual({ "linkerd.io/extension": "jaeger", "pod-security.kubernetes.io/enforce": "privileged" });
  });

  it("passes only value paths the pinned chart has", () => {
    const keys = loadChartKeys("linkerdJaeger");
    expect(keys.header.sources[0]).toMatchObject({ repository: "linkerd/linkerd2", tag: "stable-2.14.10", path: "jaeger/charts/linkerd-jaeger/values.yaml" });
    expect(unknownValuePaths(values(platform, RELEASES.linkerdJaeger), keys)).toEqual([]);
    expect(unknownValuePaths({ collector: { resource: {} } }, keys)).toEqual(["collector.resource"]);
  });

  it("points every injected proxy at the collector's OpenCensus receiver", () => {
    const v = values(platform, RELEASES.linkerdJaeger);
    expect(v.webhook.collectorSvcAddr).toBe(`collector.${NAMESPACES.linkerdJaeger}:${PORTS.traceCollectorOpencensus.port}`);
    // No selector: the injector sees every namespace's pods and patches those with a proxy.
    expect(v.webhook.namespaceSelector).toBeUndefined();
    expect(v.webhook.objectSelector).toBeUndefined();
    const collector = parse(v.collector.config) as Obj;
    expect(Object.keys(collector.receivers)).toEqual(["opencensus"]);
    expect(collector.receivers.opencensus.endpoint).toBe(`0.0.0.0:${PORTS.traceCollectorOpencensus.port}`);
  });

  it("applies the sampling rate in the collector's pipeline, before batching, from config", () => {
    const pipeline = (c: Obj) => (parse(c.collector.config) as Obj);
    const half = pipeline(linkerdJaegerValues(testConfig({ platform: { tracing: { samplingPercentage: 25 } } })));
    expect(half.processors.probabilistic_sampler).toEqual({ sampling_percentage: 25 });
    expect(half.service.pipelines.traces.processors).toEqual(["memory_limiter", "probabilistic_sampler", "batch"]);
    expect(half.service.pipelines.traces.exporters).toEqual(["jaeger"]);
    expect(half.exporters.jaeger.endpoint).toBe(`jaeger.${NAMESPACES.linkerdJaeger}:${PORTS.jaegerCollectorGrpc.port}`);
  });

  it("keeps the collector's memory limiter below its container limit", () => {
    const v = values(platform, RELEASES.linkerdJaeger);
    const limiter = (parse(v.collector.config) as Obj).processors.memory_limiter;
    const limitMiB = Number(/^(\d+)Mi$/.exec(v.collector.resources.memory.limit)?.[1]);
    expect(limiter.limit_mib).toBeLessThan(limitMiB);
    expect(limiter.limit_mib + limiter.spike_limit_mib).toBeLessThanOrEqual(limitMiB);
  });

  it("bounds Jaeger's in-memory store by the configured number of traces, under the UI's base path", () => {
    const v = values(synthApp({ platform: { tracing: { maxTraces: 1234 } } }).stack("platform"), RELEASES.linkerdJaeger);
    expect(v.jaeger.args).toEqual([`--query.base-path=${JAEGER_OBJECTS.basePath}`, "--memory.max-traces=1234"]);
  });

  it("gives Grafana a Jaeger datasource on the query port, in the datasource ConfigMap (values, not a Secret)", () => {
    const grafana = values(platform, RELEASES.kubePrometheusStack).grafana;
    expect(grafana.additionalDataSources.filter((d: Obj) => d.type === "jaeger")).toEqual([
      expect.objectContaining({
        name: GRAFANA_JAEGER_DATASOURCE.name,
        uid: GRAFANA_JAEGER_DATASOURCE.uid,
        type: "jaeger",
        url: `http://jaeger.${NAMESPACES.linkerdJaeger}.svc:${PORTS.jaegerQuery.port}${JAEGER_OBJECTS.basePath}`,
      }),
    ]);
  });

  it("installs nothing, and provisions no datasource, when tracing is off", () => {
    const p = off.stack("platform");
    expect(() => releaseNamed(p, RELEASES.linkerdJaeger)).toThrow(/found 0/);
    expect(() => namespaceNamed(p, NAMESPACES.linkerdJaeger)).toThrow(/found 0/);
    expect((values(p, RELEASES.kubePrometheusStack).grafana.additionalDataSources as Obj[]).map((d) => d.type)).toEqual(["loki"]);
    // Nor a link from log lines to traces.
    expect((values(p, RELEASES.kubePrometheusStack).grafana.additionalDataSources as Obj[])[0]?.jsonData).toBeUndefined();
    expect(manifests(off.stack("apps")).filter((m) => namespaceOf(off.stack("apps"), m) === NAMESPACES.linkerdJaeger)).toEqual([]);
  });
});

describe("tracing under default-deny", () => {
  const apps = on.stack("apps");
  const policyKinds = new Set(["Server", "AuthorizationPolicy", "MeshTLSAuthentication", "NetworkAuthentication", "HTTPRoute"]);
  const policyOf = (stack: SynthesizedStack, namespace: string) =>
    manifests(stack)
      .filter((m) => policyKinds.has(m.kind) && namespaceOf(stack, m) === namespace)
      .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));

  it("lets every meshed proxy reach the collector: the port it is given is one the chart opens to every client", () => {
    const address = values(platform, RELEASES.linkerdJaeger).webhook.collectorSvcAddr as string;
    const port = Number(address.split(":")[1]);
    const server = LINKERD_JAEGER_CHART_POLICY.find((s) => s.component === "collector" && s.port === port);
    expect(server?.server).toBe("collector-opencensus");
    expect(server?.allowed).toBe("any");
  });

  it("changes nothing in the Bookinfo namespace's policy", () => {
    expect(policyOf(apps, NAMESPACES.bookinfo)).toEqual(policyOf(off.stack("apps"), NAMESPACES.bookinfo));
    expect(policyOf(apps, NAMESPACES.bookinfo).length).toBeGreaterThan(0);
  });

  it("adds exactly one authorization: the pod network (Grafana) and the nodes (the API server's proxy) may query Jaeger on the chart's jaeger-ui Server", () => {
    const added = manifests(apps).filter((m) => policyKinds.has(m.kind) && namespaceOf(apps, m) !== NAMESPACES.bookinfo);
    expect(added.map((m) => `${m.kind}/${namespaceOf(apps, m)}/${m.metadata.name}`).sort()).toEqual([
      `AuthorizationPolicy/${NAMESPACES.linkerdJaeger}/jaeger-query-clients`,
      `NetworkAuthentication/${NAMESPACES.linkerdJaeger}/jaeger-query-clients`,
    ]);
    const policy = added.find((m) => m.kind === "AuthorizationPolicy") as Obj;
    expect(policy.spec.targetRef).toEqual({ group: "policy.linkerd.io", kind: "Server", name: JAEGER_OBJECTS.jaegerUiServer });
    expect(LINKERD_JAEGER_CHART_POLICY.find((s) => s.server === policy.spec.targetRef.name)?.port).toBe(JAEGER_OBJECTS.jaegerUiPortName);
    expect((added.find((m) => m.kind === "NetworkAuthentication") as Obj).spec.networks).toEqual([{ cidr: on.config.cluster.podCidr }, { cidr: on.config.network.vpcCidr }]);
  });

  it("leaves the collector's other receivers unconfigured, so the chart's other open Servers have nothing listening", () => {
    const receivers = parse(values(platform, RELEASES.linkerdJaeger).collector.config).receivers as Obj;
    const openPorts = LINKERD_JAEGER_CHART_POLICY.filter((s) => s.component === "collector" && s.allowed === "any").map((s) => s.port);
    const listening = Object.values(receivers).map((r: Obj) => Number(String(r.endpoint).split(":")[1]));
    expect(listening).toEqual([PORTS.traceCollectorOpencensus.port]);
    expect(openPorts).toContain(PORTS.traceCollectorOpencensus.port);
  });
});

describe("tracing settings", () => {
  it.each([
    [{ samplingPercentage: 0 }, "platform.tracing.samplingPercentage: got 0; must be more than 0 (to stop tracing, set platform.tracing.enabled to false)"],
    [{ samplingPercentage: 101 }, "platform.tracing.samplingPercentage: got 101; must be at most 100"],
    [{ maxTraces: 10 }, "platform.tracing.maxTraces: got 10; must be at least 100 traces"],
    [{ enabled: "yes" }, 'platform.tracing.enabled: got "yes"; must be true or false'],
  ])("rejects %j", (tracing, message) => {
    expect(problems({ platform: { tracing } })).toContain(message);
  });
});
