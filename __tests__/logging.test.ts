/**
 * Logs: Loki (single binary, on a volume) and Fluent Bit on every node, the
 * Loki datasource with its link from access-log trace ids to Jaeger, the
 * access log on the services that receive a trace context, and destroy order.
 */
import { parse } from "yaml";
import { namespaceNamed, onlyResource, releaseNamed, resourcesOf, synthApp, testConfig, type SynthesizedStack } from "./helpers/synth";
import { problems } from "./helpers/config";
import { dependencyGraph } from "./helpers/dependency-graph";
import { CHARTS } from "../lib/versions";
import { PORTS } from "../lib/ports";
import { NAMESPACES, RELEASES } from "../lib/k8s-names";
import { STORAGE_CLASS } from "../lib/storage";
import { loadChartKeys, unknownValuePaths } from "../lib/chart-values";
import { ACCESS_LOG_TRACE_ID_REGEX, CONTROL_PLANE_TAINT, fluentBitValues, GRAFANA_LOKI_DATASOURCE, lokiValues } from "../stacks/platform/logging";
import { GRAFANA_JAEGER_DATASOURCE } from "../stacks/platform/tracing";
import { LINKERD_ANNOTATIONS } from "../stacks/apps/linkerd-annotations";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const on = synthApp({});
const platform = on.stack("platform");

function values(stack: SynthesizedStack, release: string): Obj {
  return parse((releaseNamed(stack, release).body.values as string[])[0] as string) as Obj;
}

function podAnnotations(deployment: Obj): Record<string, string> {
  return deployment.spec.template.metadata.annotations ?? {};
}

describe("Loki and Fluent Bit releases", () => {
  const ns = namespaceNamed(platform, NAMESPACES.logging);

  it("install the pinned charts into the unmeshed logging namespace", () => {
    for (const [release, chart] of [
      [RELEASES.loki, CHARTS.loki],
      [RELEASES.fluentBit, CHARTS.fluentBit],
    ] as const) {
      const r = releaseNamed(platform, release);
      expect(r.body).toMatchObject({ repository: chart.repository, chart: chart.chart, version: chart.version });
      expect(r.body.namespace).toBe(`\${${ns.address}.metadata[0].name}`);
      expect(r.body.depends_on).toEqual([ns.address]);
    }
    expect((ns.body.metadata as Obj).annotations).toEqual({ "linkerd.io/inject": "disabled" });
    expect((ns.body.metadata as Obj).labels).toEqual({ "pod-security.kubernetes.io/enforce": "privileged" });
  });

  it.each([
    ["loki", RELEASES.loki, "helm-loki-7.3.0"],
    ["fluentBit", RELEASES.fluentBit, "fluent-bit-0.58.1"],
  ] as const)("passes %s only value paths its pinned chart has", (chart, release, tag) => {
    const keys = loadChartKeys(chart);
    expect(keys.header.sources[0]?.tag).toBe(tag);
    expect(unknownValuePaths(values(platform, release), keys)).toEqual([]);
  });

  it("catches a misspelt Loki value path (the check can fail)", () => {
    expect(unknownValuePaths({ singleBinary: { persistance: {} } }, loadChartKeys("loki"))).toEqual(["singleBinary.persistance"]);
  });

  it("runs Loki as one process on an encrypted volume of the platform's class, deleted with its StatefulSet", () => {
    const v = values(platform, RELEASES.loki);
    expect(v.deploymentMode).toBe("SingleBinary");
    expect(v.singleBinary.replicas).toBe(1);
    expect([v.read.replicas, v.write.replicas, v.backend.replicas]).toEqual([0, 0, 0]);
    expect(v.singleBinary.persistence).toMatchObject({
      enabled: true,
      storageClass: STORAGE_CLASS.name,
      size: `${on.config.platform.logs.volumeGiB}Gi`,
      enableStatefulSetAutoDeletePVC: true,
      whenDeleted: "Delete",
    });
    expect(v.loki.storage.type).toBe("filesystem");
    expect(v.loki.schemaConfig.configs[0]).toMatchObject({ store: "tsdb", object_store: "filesystem", schema: "v13", index: { period: "24h" } });
  });

  it("turns off the chart's extras: caches, gateway, canary, test pod and the cluster-wide rules sidecar", () => {
    const v = values(platform, RELEASES.loki);
    for (const part of ["chunksCache", "resultsCache", "gateway", "lokiCanary", "test"]) expect(v[part].enabled).toBe(false);
    expect(v.sidecar.rules.enabled).toBe(false);
  });

  it("keeps lines for the configured days: the compactor deletes older ones", () => {
    const v = lokiValues(testConfig({ platform: { logs: { retentionDays: 3 } } }));
    expect(v.loki.limits_config.retention_period).toBe("72h");
    expect(v.loki.compactor).toMatchObject({ retention_enabled: true, delete_request_store: "filesystem" });
  });

  it("collects every container's log on every node, control plane included, into Loki by namespace, pod and container", () => {
    const v = values(platform, RELEASES.fluentBit);
    expect(v.kind).toBe("DaemonSet");
    expect(v.tolerations).toContainEqual(CONTROL_PLANE_TAINT);
    expect(v.config.inputs).toMatch(/Path \/var\/log\/containers\/\*\.log/);
    const output = v.config.outputs as string;
    expect(output).toMatch(new RegExp(`Host ${RELEASES.loki}\\.${NAMESPACES.logging}\\.svc\\n`));
    expect(output).toMatch(new RegExp(`Port ${PORTS.lokiHttp.port}\\n`));
    const labels = /Labels (.*)\n/.exec(output)?.[1]?.split(", ") ?? [];
    expect(labels).toEqual(expect.arrayContaining(["namespace=$kubernetes['namespace_name']", "pod=$kubernetes['pod_name']", "container=$kubernetes['container_name']"]));
    expect(v.daemonSetVolumeMounts).toEqual([{ name: "varlog", mountPath: "/var/log", readOnly: true }]);
  });

  it("installs neither, and provisions no Loki datasource, when logs are off", () => {
    const p = synthApp({ platform: { logs: { enabled: false } } }).stack("platform");
    expect(() => releaseNamed(p, RELEASES.loki)).toThrow(/found 0/);
    expect(() => releaseNamed(p, RELEASES.fluentBit)).toThrow(/found 0/);
    expect(values(p, RELEASES.kubePrometheusStack).grafana.additionalDataSources.map((d: Obj) => d.uid)).toEqual([GRAFANA_JAEGER_DATASOURCE.uid]);
  });
});

describe("logs to traces", () => {
  const datasources = values(platform, RELEASES.kubePrometheusStack).grafana.additionalDataSources as Obj[];
  const loki = datasources.find((d) => d.uid === GRAFANA_LOKI_DATASOURCE.uid) as Obj;

  it("gives Grafana a Loki datasource on the Loki Service's port", () => {
    expect(loki).toMatchObject({ type: "loki", url: `http://${RELEASES.loki}.${NAMESPACES.logging}.svc:${PORTS.lokiHttp.port}` });
  });

  it("links an access-log line's trace id to the Jaeger datasource", () => {
    // A proxy access-log line in the JSON format (linkerd2-proxy v2.210.4:
    // linkerd/http-access-log/src/lib.rs names the fields, tracing-subscriber's
    // JsonFields writes them as one JSON object of strings). Values invented.
    const line =
      '{"client.addr":"10.244.1.7:51234","client.id":"bookinfo-productpage.bookinfo.serviceaccount.identity.linkerd.cluster.local",' +
      '"host":"details:9080","method":"GET","processing_ns":"78210","request_bytes":"","response_bytes":"178","status":200,' +
      '"timestamp":"2026-12-02T06:01:02.123456789Z","total_ns":"2034122","trace_id":"5e8c6f0a9b1d2c3e","uri":"http://details:9080/details/0",' +
      '"user_agent":"python-requests/2.21.0","version":"HTTP/1.1"}';
    const [field] = loki.jsonData.derivedFields as Obj[];
    expect(field).toMatchObject({ datasourceUid: GRAFANA_JAEGER_DATASOURCE.uid, matcherRegex: ACCESS_LOG_TRACE_ID_REGEX });
    expect(new RegExp(field!.matcherRegex).exec(line)?.[1]).toBe("5e8c6f0a9b1d2c3e");
    // No match on a line without a trace id (productpage's own log, say).
    expect(new RegExp(field!.matcherRegex).exec('{"trace_id":"","uri":"/productpage"}')).toBeNull();
  });

  it("escapes Grafana's ${__value.raw} so Terraform does not read it as an interpolation", () => {
    const raw = (releaseNamed(platform, RELEASES.kubePrometheusStack).body.values as string[])[0] as string;
    expect(raw).toContain("$${__value.raw}");
    // Every "${" in every release's values is escaped: Terraform would otherwise try to evaluate it.
    for (const body of Object.values(resourcesOf(platform, "helm_release"))) {
      for (const text of body.values as string[]) expect(text.replace(/\$\$\{/g, "")).not.toMatch(/\$\{/);
    }
  });

  it("turns on the JSON access log exactly on the services that receive a trace context", () => {
    const apps = on.stack("apps");
    const annotated = Object.values(resourcesOf(apps, "kubernetes_deployment_v1"))
      .filter((d) => (podAnnotations(d as Obj))[LINKERD_ANNOTATIONS.accessLog] === "json")
      .map((d) => (d as Obj).metadata.name as string)
      .sort();
    expect(annotated).toEqual(["details-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"]);
    const noTracing = synthApp({ platform: { tracing: { enabled: false } } }).stack("apps");
    const anyAnnotated = Object.values(resourcesOf(noTracing, "kubernetes_deployment_v1")).some(
      (d) => (podAnnotations(d as Obj))[LINKERD_ANNOTATIONS.accessLog] !== undefined,
    );
    expect(anyAnnotated).toBe(false);
  });
});

describe("logs on destroy", () => {
  it("deletes the logging namespace (Loki's claim with it) before the volume wait, which runs before the driver goes", () => {
    const graph = dependencyGraph(platform);
    const ns = namespaceNamed(platform, NAMESPACES.logging).address;
    const wait = onlyResource(platform, "time_static", "volume-cleanup").address;
    // Created after the wait, so destroyed before it.
    expect(graph.waitsFor(ns, wait)).toBe(true);
    expect(graph.waitsFor(releaseNamed(platform, RELEASES.loki).address, ns)).toBe(true);
    expect(graph.waitsFor(ns, releaseNamed(platform, RELEASES.linkerdControlPlane).address)).toBe(false);
    expect(graph.waitsFor(ns, releaseNamed(platform, RELEASES.kubePrometheusStack).address)).toBe(false);
  });
});

describe("log settings", () => {
  it.each([
    [{ retentionDays: 0 }, "platform.logs.retentionDays: got 0; must be at least 1 day"],
    [{ retentionDays: 1.5 }, "platform.logs.retentionDays: got 1.5; must be a whole number of days (Loki's index is per day)"],
    [{ volumeGiB: 0 }, "platform.logs.volumeGiB: got 0; must be at least 1 GiB (the smallest gp3 volume)"],
  ])("rejects %j", (logs, message) => {
    expect(problems({ platform: { logs } })).toContain(message);
  });

  it("builds Fluent Bit's values from the port table", () => {
    expect(fluentBitValues().metricsPort).toBe(PORTS.fluentBitMetrics.port);
  });
});
