/**
 * Resource budget: with everything on, the default cluster schedules with
 * headroom. From the synthesized stacks (Helm values, Deployments) and the
 * charts' own defaults where the values leave requests alone
 * (fixtures/capacity/chart-defaults.ts), every pod's request as the
 * scheduler counts it; DaemonSets on every worker, the rest spread over the
 * workers; each worker's sum at most 80 % of its allocatable CPU and memory.
 */
import { parse } from "yaml";
import { releaseNamed, resourcesOf, synthApp, type SynthesizedApp, type SynthesizedStack } from "./helpers/synth";
import { allocatable, cpuMilli, effectiveRequest, memoryMiB, placeOnWorkers, type Amount, type Workload } from "../lib/capacity";
import { NAMESPACES, RELEASES } from "../lib/k8s-names";
import { EBS_CSI, FLANNEL_CONTAINER, KUBE_PROMETHEUS_STACK_WORKLOADS, KUBEADM, LINKERD, type Requests } from "./fixtures/capacity/chart-defaults";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The budget: requests per worker at most this share of allocatable. */
const CEILING = 0.8;

const amount = (r: Requests | undefined): Amount => ({ cpuMilli: cpuMilli(r?.cpu), memoryMiB: memoryMiB(r?.memory) });
/** Linkerd's resource shape (`cpu.request`, `memory.request`) → requests. */
const linkerdShape = (r: Obj | undefined): Requests => ({ cpu: r?.cpu?.request, memory: r?.memory?.request });

function releaseValues(stack: SynthesizedStack, name: string): Obj | undefined {
  const found = Object.values(resourcesOf(stack, "helm_release")).find((r) => r.name === name);
  return found ? (parse((found.values as string[])[0] as string) as Obj) : undefined;
}

/** Every workload of the synthesized app with its pods' requests. */
function workloads(app: SynthesizedApp): Workload[] {
  const platform = app.stack("platform");
  const apps = app.stack("apps");
  const out: Workload[] = [];
  const l5d = releaseValues(platform, RELEASES.linkerdControlPlane) as Obj;
  // What the proxy injector adds to every meshed pod: linkerd-proxy and linkerd-init.
  const proxy = amount(linkerdShape(l5d.proxy?.resources));
  const proxyInit = amount(linkerdShape(l5d.proxyInit?.resources) ?? LINKERD.proxyInit);
  const initRequests = l5d.proxyInit?.resources ? proxyInit : amount(LINKERD.proxyInit);
  const meshed = (containers: Amount[]) => ({ containers: [...containers, proxy], initContainers: [initRequests] });

  // Flannel: a DaemonSet; the values leave its requests to the chart.
  const flannel = releaseValues(platform, RELEASES.flannel) as Obj;
  expect(flannel.flannel?.resources).toBeUndefined();
  out.push({ name: "kube-flannel/kube-flannel-ds", replicas: "node", pod: { containers: [amount(FLANNEL_CONTAINER)] } });

  // The node-readiness gate: one pause pod per node (its own Deployment).
  for (const d of Object.values(resourcesOf(platform, "kubernetes_deployment_v1")) as Obj[]) {
    const containers = (d.spec.template.spec.container as Obj[]).map((c) => amount(c.resources?.requests));
    out.push({ name: `platform/${d.metadata.name}`, replicas: "node", pod: { containers } });
  }

  // EBS CSI driver: controller replicas and the node plugin.
  const ebs = releaseValues(platform, RELEASES.awsEbsCsiDriver) as Obj;
  const controllerRequest = amount(ebs.controller?.resources?.requests ?? EBS_CSI.containerDefault);
  const nodeRequest = amount(ebs.node?.resources?.requests ?? EBS_CSI.containerDefault);
  out.push({ name: "kube-system/ebs-csi-controller", replicas: ebs.controller.replicaCount, pod: { containers: EBS_CSI.controllerContainers.map(() => controllerRequest) } });
  out.push({ name: "kube-system/ebs-csi-node", replicas: "node", pod: { containers: EBS_CSI.nodeContainers.map(() => nodeRequest) } });

  // kube-prometheus-stack: no requests unless the values set them.
  const kps = releaseValues(platform, RELEASES.kubePrometheusStack) as Obj;
  expect([kps.prometheus?.prometheusSpec?.resources, kps.alertmanager?.alertmanagerSpec?.resources, kps.grafana?.resources, kps.prometheusOperator?.resources]).toEqual([undefined, undefined, undefined, undefined]);
  for (const name of KUBE_PROMETHEUS_STACK_WORKLOADS.perWorker) out.push({ name: `monitoring/${name}`, replicas: 1, pod: { containers: [] } });
  for (const name of KUBE_PROMETHEUS_STACK_WORKLOADS.perNode) out.push({ name: `monitoring/${name}`, replicas: "node", pod: { containers: [] } });

  // Linkerd's control plane (meshed by itself).
  const replicas = l5d.highAvailability ? (l5d.controllerReplicas as number) : 1;
  for (const [deployment, keys] of Object.entries(LINKERD.deployments)) {
    out.push({ name: `linkerd/${deployment}`, replicas, pod: meshed(keys.map((k) => amount(linkerdShape(l5d[k])))) });
  }

  // Tracing: collector, Jaeger and the injector, each meshed by the chart's pod annotations.
  const jaeger = releaseValues(platform, RELEASES.linkerdJaeger);
  if (jaeger) {
    for (const [deployment, key] of [["collector", "collector"], ["jaeger", "jaeger"], ["jaeger-injector", "webhook"]] as const) {
      out.push({ name: `linkerd-jaeger/${deployment}`, replicas: 1, pod: meshed([amount(linkerdShape(jaeger[key].resources))]) });
    }
  }

  // Logs: Loki (not meshed) and the agent on every node.
  const loki = releaseValues(platform, RELEASES.loki);
  if (loki) out.push({ name: "logging/loki", replicas: loki.singleBinary.replicas, pod: { containers: [amount(loki.singleBinary.resources.requests)] } });
  const fluentBit = releaseValues(platform, RELEASES.fluentBit);
  if (fluentBit) out.push({ name: "logging/fluent-bit", replicas: "node", pod: { containers: [amount(fluentBit.resources.requests)] } });

  // The apps: every Deployment of the apps stack; meshed where its namespace injects.
  const namespaces = resourcesOf(apps, "kubernetes_namespace_v1") as Record<string, Obj>;
  const injects = (ref: string) => {
    const id = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(ref)?.[1];
    return id !== undefined && namespaces[id]?.metadata.annotations?.["linkerd.io/inject"] === "enabled";
  };
  for (const d of Object.values(resourcesOf(apps, "kubernetes_deployment_v1")) as Obj[]) {
    const containers = (d.spec.template.spec.container as Obj[]).map((c) => amount(c.resources?.requests));
    const pod = injects(d.metadata.namespace) ? meshed(containers) : { containers };
    out.push({ name: `apps/${d.metadata.name}`, replicas: Number(d.spec.replicas ?? 1), pod });
  }

  // kubeadm's CoreDNS (kube-proxy requests nothing).
  out.push({ name: "kube-system/coredns", replicas: KUBEADM.coredns.replicas, pod: { containers: [amount(KUBEADM.coredns.requests)] } });
  return out;
}

function budget(app: SynthesizedApp) {
  const { workers } = app.config.cluster;
  const capacity = allocatable(workers.instanceType);
  const load = placeOnWorkers(workloads(app), workers.count, capacity);
  return { capacity, load, worst: load.map((w) => Math.max(w.cpuMilli / capacity.cpuMilli, w.memoryMiB / capacity.memoryMiB)) };
}

describe("resource budget with everything on", () => {
  const app = synthApp({});

  it("has tracing and logs on by default (the budget covers them)", () => {
    expect(app.config.platform.tracing.enabled).toBe(true);
    expect(app.config.platform.logs.enabled).toBe(true);
    expect(releaseValues(app.stack("platform"), RELEASES.linkerdJaeger)).toBeDefined();
    expect(releaseValues(app.stack("platform"), RELEASES.loki)).toBeDefined();
  });

  it(`keeps every default worker (${"t3.large"}) at or below ${CEILING * 100} % of allocatable CPU and memory`, () => {
    const { capacity, load, worst } = budget(app);
    expect(app.config.cluster.workers).toMatchObject({ count: 2, instanceType: "t3.large" });
    expect(capacity).toEqual({ cpuMilli: 2000, memoryMiB: 8092 });
    expect(load).toHaveLength(2);
    if (process.env.BUDGET_PRINT) console.log(JSON.stringify({ capacity, load, worst, workloads: workloads(app).map((w) => [w.name, w.replicas, effectiveRequest(w.pod)]) }, null, 1));
    for (const w of worst) expect(w).toBeLessThanOrEqual(CEILING);
  });

  it("counts what the scheduler counts: a meshed pod requests at least linkerd-init's 100m", () => {
    const reviews = workloads(app).find((w) => w.name === "apps/reviews-v1");
    expect(effectiveRequest(reviews!.pod)).toEqual({ cpuMilli: 100, memoryMiB: 256 });
    const trafficGenerator = workloads(app).find((w) => w.name === "apps/traffic-generator");
    expect(effectiveRequest(trafficGenerator!.pod)).toEqual({ cpuMilli: 100, memoryMiB: 32 });
    expect(workloads(app).filter((w) => w.name.startsWith(`${NAMESPACES.linkerdJaeger}/`)).map((w) => effectiveRequest(w.pod))).toEqual([
      { cpuMilli: 100, memoryMiB: 64 },
      { cpuMilli: 100, memoryMiB: 256 },
      { cpuMilli: 100, memoryMiB: 32 },
    ]);
  });

  it("fails when everything must fit on one worker (the check can fail)", () => {
    const one = synthApp({ cluster: { workers: { count: 1 } } });
    const { worst } = budget(one);
    expect(Math.max(...worst)).toBeGreaterThan(CEILING);
  });

  it("would not hold Elasticsearch and Kibana at their chart defaults next to everything else", () => {
    // elastic/helm-charts v8.5.1: elasticsearch/values.yaml 3 replicas of
    // 1000m / 2Gi (hard anti-affinity), kibana/values.yaml 1 replica of 1000m / 2Gi.
    const efk: Workload[] = [
      { name: "logging/elasticsearch-master", replicas: 3, pod: { containers: [{ cpuMilli: 1000, memoryMiB: 2048 }] } },
      { name: "logging/kibana", replicas: 1, pod: { containers: [{ cpuMilli: 1000, memoryMiB: 2048 }] } },
    ];
    const withoutLoki = workloads(app).filter((w) => !w.name.startsWith("logging/"));
    const { capacity } = budget(app);
    const load = placeOnWorkers([...withoutLoki, ...efk], 2, capacity);
    expect(Math.max(...load.map((w) => w.cpuMilli / capacity.cpuMilli))).toBeGreaterThan(1);
  });

  it("names the synthesized release values it reads", () => {
    for (const r of [RELEASES.flannel, RELEASES.awsEbsCsiDriver, RELEASES.kubePrometheusStack, RELEASES.linkerdControlPlane]) {
      expect(releaseNamed(app.stack("platform"), r).body.values).toBeDefined();
    }
  });
});
