import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { evaluateTemplates } from "./helpers/condition-eval";
import { resourcesOf, synthApp, testConfig, type SynthesizedStack } from "./helpers/synth";
import { itWith, requireTool, TERRAFORM_INSTALL_HINT } from "./helpers/tools";
import { callGraph, GRAPH_NODES, allowedCallers } from "../lib/bookinfo-graph";
import { BOOKINFO, NAMESPACES, TRAFFIC_GENERATOR } from "../lib/k8s-names";
import { PORTS } from "../lib/ports";
import { IMAGES } from "../lib/versions";
import { ConfigError } from "../lib/config";
import { meshIdentity, CLUSTER_NETWORKS, ADMIN_SERVER, ADMIN_SHUTDOWN, PROXY_ADMIN_PORT_NAME } from "../stacks/apps/authorization";
import { adminRequest, decide } from "./helpers/linkerd-policy";
import { cidrHost } from "../lib/config";
import { BENCHMARK, BENCHMARK_SCRIPT_PATH } from "../stacks/apps/benchmark";
import { LINKERD_ANNOTATIONS } from "../stacks/apps/linkerd-annotations";
import { MESHED_BY_ANNOTATION, TRACED_BY_ANNOTATION } from "../stacks/apps/namespace";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const app = synthApp({});
const apps = app.stack("apps");

function manifests(stack: SynthesizedStack, kind?: string): Obj[] {
  return Object.values(resourcesOf(stack, "kubernetes_manifest"))
    .map((r) => r.manifest as Obj)
    .filter((m) => kind === undefined || m.kind === kind);
}
function typed(stack: SynthesizedStack, type: string): Obj[] {
  return Object.values(resourcesOf(stack, type)) as Obj[];
}
/** Follows a `${type.id.metadata.name}` reference to the name it resolves to. */
function resolve(stack: SynthesizedStack, value: string): string {
  const m = /^\$\{([a-z0-9_]+)\.([^.]+)\.metadata\[0\]\.name\}$/.exec(value);
  if (!m) return value;
  const target = resourcesOf(stack, m[1] as string)[m[2] as string] as Obj | undefined;
  if (!target) throw new Error(`dangling reference ${value}`);
  return resolve(stack, target.metadata.name);
}
const meta = (o: Obj) => o.metadata;
function byName(list: Obj[], name: string, namespace: string = NAMESPACES.bookinfo, stack: SynthesizedStack = apps): Obj {
  const found = list.find((o) => meta(o).name === name && resolve(stack, meta(o).namespace) === namespace);
  if (!found) throw new Error(`no ${name} in ${namespace}`);
  return found;
}

describe("Bookinfo", () => {
  const deployments = typed(apps, "kubernetes_deployment_v1");
  const services = typed(apps, "kubernetes_service_v1");

  it("has the sample's Deployments, images and ServiceAccounts", () => {
    const names = deployments.filter((d) => resolve(apps, meta(d).namespace) === NAMESPACES.bookinfo).map((d) => meta(d).name).sort();
    expect(names).toEqual(["details-v1", "productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3", TRAFFIC_GENERATOR.deployment].sort());
    for (const d of ["details-v1", "productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"]) {
      const [svc, version] = d.split("-") as [string, string];
      const spec = byName(deployments, d).spec.template.spec;
      expect(spec.container[0].image).toBe(`${IMAGES.bookinfo.registry}/examples-bookinfo-${svc}-${version}:${app.config.versions.bookinfoImageTag}`);
      expect(resolve(apps, spec.service_account_name)).toBe(`bookinfo-${svc}`);
    }
  });

  it("uses one label set for metadata, selector, template and Service selectors", () => {
    for (const d of deployments) {
      const m = meta(d);
      const tmpl = d.spec.template.metadata.labels;
      const sel = d.spec.selector.match_labels;
      expect(tmpl).toEqual(m.labels);
      for (const [k, v] of Object.entries(sel)) expect(tmpl[k]).toBe(v);
      expect(Object.keys(sel).sort()).toEqual(["app", "version"]);
    }
    for (const s of services.filter((x) => resolve(apps, meta(x).namespace) === NAMESPACES.bookinfo && (BOOKINFO.services as readonly string[]).includes(meta(x).name))) {
      const selected = deployments.filter((d) => Object.entries(s.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
      expect(selected.length).toBeGreaterThan(0);
    }
  });

  it("serves every Service on the HTTP port named http; reviews has one Service per version; productpage is the NodePort", () => {
    for (const name of [...BOOKINFO.services, "reviews-v1", "reviews-v2", "reviews-v3"]) {
      const port = byName(services, name).spec.port[0];
      expect(port).toMatchObject({ name: "http", port: PORTS.bookinfoHttp.port });
    }
    expect(byName(services, "reviews-v2").spec.selector).toEqual({ app: "reviews", version: "v2" });
    const pp = byName(services, "productpage").spec;
    expect(pp.type).toBe("NodePort");
    expect(pp.port[0].node_port).toBe(app.config.nodePorts.bookinfo);
  });

  it("keeps the sample's env and scratch volumes and runs restricted", () => {
    const reviews = byName(deployments, "reviews-v2").spec.template.spec;
    expect(reviews.container[0].env).toEqual([{ name: "LOG_DIR", value: "/tmp/logs" }]);
    expect(reviews.container[0].volume_mount.map((v: Obj) => v.mount_path).sort()).toEqual(["/opt/ibm/wlp/output", "/tmp"]);
    expect(byName(deployments, "productpage-v1").spec.template.spec.container[0].volume_mount.map((v: Obj) => v.mount_path)).toEqual(["/tmp"]);
    for (const d of deployments) {
      const spec = d.spec.template.spec;
      expect(spec.security_context).toMatchObject({ run_as_non_root: true, seccomp_profile: { type: "RuntimeDefault" } });
      const c = spec.container[0];
      expect(c.security_context).toMatchObject({ allow_privilege_escalation: false, capabilities: { drop: ["ALL"] }, run_as_non_root: true });
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits).toBeDefined();
    }
  });

  it("creates the bookinfo namespace meshed with a default-deny inbound policy", () => {
    const ns = byNameNs(typed(apps, "kubernetes_namespace_v1"), NAMESPACES.bookinfo);
    expect(meta(ns).annotations).toEqual({
      [LINKERD_ANNOTATIONS.inject]: "enabled",
      [LINKERD_ANNOTATIONS.defaultInboundPolicy]: "deny",
      // The platform's Linkerd output (deploy-order.test.ts follows it to the control plane).
      [MESHED_BY_ANNOTATION]: expect.stringMatching(/^\$\{data\.terraform_remote_state\.[^}]+\}$/),
      // Likewise the tracing extension's output (tracing is on by default).
      [TRACED_BY_ANNOTATION]: expect.stringMatching(/^\$\{data\.terraform_remote_state\.[^}]+\}$/),
    });
  });

  it("runs the traffic generator meshed, with its own ServiceAccount, at the configured rate against productpage", () => {
    const other = synthApp({ apps: { trafficRequestsPerSecond: 7 } }).stack("apps");
    const tg = byName(typed(other, "kubernetes_deployment_v1"), TRAFFIC_GENERATOR.deployment, NAMESPACES.bookinfo, other).spec.template.spec;
    expect(resolve(other, tg.service_account_name)).toBe(TRAFFIC_GENERATOR.serviceAccount);
    expect(tg.container[0].image).toBe(app.config.versions.fortioImage);
    const args: string[] = tg.container[0].args;
    expect(args[0]).toBe("load");
    expect(args[args.indexOf("-qps") + 1]).toBe("7");
    expect(args[args.indexOf("-t") + 1]).toBe("0");
    // Enough connections that 7 calls a second hold while every call waits out the 5 s timeout.
    expect(args[args.indexOf("-timeout") + 1]).toBe("5s");
    expect(args[args.indexOf("-c") + 1]).toBe("35");
    expect(args[args.length - 1]).toBe(`http://productpage.${NAMESPACES.bookinfo}:${PORTS.bookinfoHttp.port}/productpage`);
  });
});

function byNameNs(list: Obj[], name: string): Obj {
  const found = list.find((o) => meta(o).name === name);
  if (!found) throw new Error(`no namespace ${name}`);
  return found;
}

describe("reviews traffic split", () => {
  const route = (s: SynthesizedStack) => manifests(s, "HTTPRoute").find((m) => m.spec.parentRefs[0].kind === "Service") as Obj;

  it("is a policy.linkerd.io/v1beta3 HTTPRoute on the reviews Service with the configured weights", () => {
    const r = route(apps);
    expect(r.apiVersion).toBe("policy.linkerd.io/v1beta3");
    expect(r.spec.parentRefs).toEqual([{ group: "core", kind: "Service", name: "reviews", port: PORTS.bookinfoHttp.port }]);
    expect(r.spec.rules[0].backendRefs).toEqual(
      ["reviews-v1", "reviews-v2", "reviews-v3"].map((name) => ({ name, port: PORTS.bookinfoHttp.port, weight: 1 })),
    );
  });

  it("leaves zero-weight versions out of the route", () => {
    const r = route(synthApp({ apps: { reviewsWeights: { v1: 90, v2: 0, v3: 10 } } }).stack("apps"));
    expect(r.spec.rules[0].backendRefs.map((b: Obj) => [b.name, b.weight])).toEqual([["reviews-v1", 90], ["reviews-v3", 10]]);
  });

  it.each([
    [{ v1: -1, v2: 1 }, "apps.reviewsWeights.v1"],
    [{ v1: 1.5 }, "apps.reviewsWeights.v1"],
    [{ v1: 0, v2: 0, v3: 0 }, "apps.reviewsWeights"],
    [{ v4: 1 }, "apps.reviewsWeights"],
  ])("rejects weights %j naming %s", (weights, field) => {
    expect(() => testConfig({ apps: { reviewsWeights: weights } })).toThrow(ConfigError);
    expect(() => testConfig({ apps: { reviewsWeights: weights } })).toThrow(field);
  });
});

describe("authorization", () => {
  // The Bookinfo namespace's own policy (tracing's one addition lives in linkerd-jaeger: tracing.test.ts).
  const policies = manifests(apps).filter((m) => resolve(apps, m.metadata.namespace) === NAMESPACES.bookinfo);
  const kinds = (k: string) => policies.filter((m) => m.kind === k);

  /** Service → caller ServiceAccounts, read back from the synthesized policy objects. */
  function allowedMeshEdges(objs: Obj[]): Record<string, string[]> {
    const servers = new Map(objs.filter((m) => m.kind === "Server").map((m) => [m.metadata.name, m]));
    const authns = new Map(objs.filter((m) => m.kind === "MeshTLSAuthentication").map((m) => [m.metadata.name, m]));
    const result: Record<string, string[]> = {};
    for (const p of objs.filter((m) => m.kind === "AuthorizationPolicy" && m.spec.targetRef.kind === "Server")) {
      const server = servers.get(p.spec.targetRef.name);
      const app = server?.spec.podSelector.matchLabels?.app;
      for (const ref of p.spec.requiredAuthenticationRefs.filter((r: Obj) => r.kind === "MeshTLSAuthentication")) {
        const ids: string[] = authns.get(ref.name)?.spec.identities ?? [];
        result[app] = [...(result[app] ?? []), ...ids].sort();
      }
    }
    return result;
  }

  it("allows exactly the call graph's edges, by mesh identity, and nothing else", () => {
    const expected: Record<string, string[]> = {};
    for (const [svc, sas] of Object.entries(allowedCallers())) {
      if (sas.length > 0) expected[svc] = sas.map((sa) => meshIdentity(sa, NAMESPACES.bookinfo)).sort();
    }
    expect(allowedMeshEdges(policies)).toEqual(expected);
    // Cross-check against the edges: every caller identity belongs to a workload with an edge to that service.
    for (const [svc, ids] of Object.entries(allowedMeshEdges(policies))) {
      for (const id of ids) {
        const sa = id.split(".")[0];
        const edge = callGraph().find((e) => GRAPH_NODES.find((n) => n.deployment === e.from)?.serviceAccount === sa && GRAPH_NODES.find((n) => n.deployment === e.to)?.service === svc);
        expect(edge).toBeDefined();
      }
    }
  });

  it("puts a Server with HTTP/1 on every served app's http port and on every proxy's admin port", () => {
    const servers = kinds("Server");
    expect(servers.map((s) => s.metadata.name).sort()).toEqual([...BOOKINFO.services.map((s) => `${s}-http`), ADMIN_SERVER].sort());
    for (const s of servers) expect(s.spec.proxyProtocol).toBe("HTTP/1");
    expect(servers.find((s) => s.metadata.name === ADMIN_SERVER)?.spec.port).toBe("linkerd-admin");
  });

  it("admits network clients only where intended: productpage's NodePort, proxy /metrics and probes", () => {
    const net = kinds("NetworkAuthentication");
    expect(net).toHaveLength(1);
    expect(net[0]?.spec.networks).toEqual([{ cidr: app.config.cluster.podCidr }, { cidr: app.config.network.vpcCidr }]);
    const netPolicies = kinds("AuthorizationPolicy").filter((p) => p.spec.requiredAuthenticationRefs.some((r: Obj) => r.name === CLUSTER_NETWORKS));
    expect(netPolicies.map((p) => `${p.spec.targetRef.kind}/${p.spec.targetRef.name}`).sort()).toEqual(
      ["HTTPRoute/proxy-metrics", "HTTPRoute/proxy-probes", "Server/productpage-http"].sort(),
    );
    const routes = kinds("HTTPRoute").filter((r) => r.spec.parentRefs[0].kind === "Server");
    const paths = routes.flatMap((r) => r.spec.rules[0].matches.map((m: Obj) => m.path.value)).sort();
    expect(paths).toEqual(["/live", "/metrics", "/ready", ADMIN_SHUTDOWN.path].sort());
    // The shutdown route has no AuthorizationPolicy: only the proxy's own localhost authorization admits it.
    expect(kinds("AuthorizationPolicy").filter((p) => p.spec.targetRef.name === ADMIN_SHUTDOWN.route)).toEqual([]);
  });
});

describe("ordering", () => {
  it("creates every workload after the authorization policy, so no first request meets default-deny", () => {
    const policyIds = Object.keys(resourcesOf(apps, "kubernetes_manifest"))
      .filter((id) => id.startsWith("policy-"))
      .map((id) => `kubernetes_manifest.${id}`);
    expect(policyIds.length).toBeGreaterThan(0);
    const deployments = Object.entries(resourcesOf(apps, "kubernetes_deployment_v1"));
    // Bookinfo's six Deployments and the traffic generator.
    expect(deployments).toHaveLength(7);
    for (const [id, d] of deployments) {
      expect([id, d.depends_on]).toEqual([id, expect.arrayContaining(policyIds)]);
    }
  });

  it("starts traffic only after every Bookinfo Deployment, and creates the SLO rules only after every workload (a first deploy pages nothing)", () => {
    const deployments = Object.entries(resourcesOf(apps, "kubernetes_deployment_v1")) as Array<[string, Obj]>;
    const generator = deployments.find(([, d]) => d.metadata.name === TRAFFIC_GENERATOR.deployment);
    const bookinfo = deployments.filter(([, d]) => d.metadata.name !== TRAFFIC_GENERATOR.deployment).map(([id]) => `kubernetes_deployment_v1.${id}`);
    expect(bookinfo).toHaveLength(6);
    expect(generator?.[1].depends_on).toEqual(expect.arrayContaining(bookinfo));
    // Terraform waits for each rollout before it creates what depends on it.
    for (const [, d] of deployments) expect(d.wait_for_rollout ?? true).toBe(true);
    const rules = resourcesOf(apps, "kubernetes_manifest")["slo-rules"] as Obj;
    expect(rules.manifest.kind).toBe("PrometheusRule");
    expect(rules.depends_on).toEqual(expect.arrayContaining([...bookinfo, `kubernetes_deployment_v1.${generator?.[0]}`]));
  });
});

describe("mesh-overhead benchmark", () => {
  const shellcheck = requireTool("shellcheck", "shellcheck");
  const terraform = requireTool("terraform", "terraform", TERRAFORM_INSTALL_HINT);

  it("synthesizes nothing when disabled", () => {
    expect(JSON.stringify(apps.tf)).not.toContain(BENCHMARK.job);
    expect(JSON.stringify(apps.tf)).not.toContain(NAMESPACES.bookinfoBaseline);
  });

  const on = synthApp({ apps: { benchmark: { enabled: true, requestsPerSecond: 33, durationSeconds: 45, connections: 3 } } });
  const stack = on.stack("apps");

  it("copies the whole of Bookinfo into an unmeshed namespace", () => {
    const ns = byNameNs(typed(stack, "kubernetes_namespace_v1"), NAMESPACES.bookinfoBaseline);
    expect(meta(ns).annotations).toEqual({ [LINKERD_ANNOTATIONS.inject]: "disabled" });
    const baseline = typed(stack, "kubernetes_deployment_v1").filter((d) => resolve(stack, meta(d).namespace) === NAMESPACES.bookinfoBaseline);
    expect(baseline.map((d) => meta(d).name).sort()).toEqual(
      ["details-v1", "productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3", BENCHMARK.baselineClient].sort(),
    );
    for (const d of baseline) expect(d.spec.template.metadata.annotations ?? {}).not.toHaveProperty(LINKERD_ANNOTATIONS.inject, "enabled");
  });

  it("takes the load settings from config", () => {
    const job = typed(stack, "kubernetes_job_v1")[0] as Obj;
    const env = Object.fromEntries(job.spec.template.spec.container[0].env.map((e: Obj) => [e.name, e.value]));
    expect(env).toMatchObject({ QPS: "33", DURATION: "45", CONNECTIONS: "3" });
    expect(env.MESHED_TARGET).toContain(`productpage.${NAMESPACES.bookinfo}:`);
    expect(env.BASELINE_TARGET).toContain(`productpage.${NAMESPACES.bookinfoBaseline}:`);
  });

  it("authorizes the meshed load client (and the runner) by identity, from the same graph source", () => {
    const ids = manifests(stack, "MeshTLSAuthentication");
    const pp = ids.find((m) => m.metadata.name === "productpage-callers");
    expect(pp?.spec.identities).toContain(meshIdentity(BENCHMARK.meshedClient, NAMESPACES.bookinfo));
    const client = ids.find((m) => m.metadata.name === `${BENCHMARK.meshedClient}-callers`);
    expect(client?.spec.identities).toEqual([meshIdentity(BENCHMARK.job, NAMESPACES.bookinfo)]);
  });

  itWith(terraform)("ships the runner script to the ConfigMap exactly as written, as Terraform evaluates it", () => {
    const data = (typed(stack, "kubernetes_config_map_v1") as Obj[]).map((c) => c.data?.["mesh-benchmark.sh"]).filter(Boolean);
    expect(data).toHaveLength(1);
    // The script's own "${VAR}"s must not become Terraform interpolations.
    const { script } = evaluateTemplates(terraform as string, { script: data[0] });
    expect(script).toBe(readFileSync(BENCHMARK_SCRIPT_PATH, "utf8"));
  });

  describe("the runner's proxy shutdown, under the simulated 2.14 policy (__tests__/helpers/linkerd-policy.ts)", () => {
    const policy = manifests(stack);
    const job = typed(stack, "kubernetes_job_v1")[0] as Obj;
    const podLabels: Record<string, string> = job.spec.template.metadata.labels;
    const env = Object.fromEntries(job.spec.template.spec.container[0].env.map((e: Obj) => [e.name, e.value]));
    const admin = new URL(env.PROXY_ADMIN as string);
    const req = (method: string, p: string, clientIp: string) => ({ podLabels, portName: PROXY_ADMIN_PORT_NAME, method, path: p, clientIp });
    const podIp = cidrHost(on.config.cluster.podCidr, 77);

    it("lets the Job's own POST /shutdown from localhost through: the proxy stops and the Job completes", () => {
      expect(admin.hostname).toBe("localhost");
      expect(admin.port).toBe(String(PORTS.linkerdProxyAdmin.port));
      const d = adminRequest(policy, req("POST", ADMIN_SHUTDOWN.path, "127.0.0.1"));
      expect(d).toMatchObject({ status: 200, body: "shutdown" });
      expect(d.reason).toContain(`route ${ADMIN_SHUTDOWN.route}, authorized by default:localhost`);
    });

    it("answers 404 without the shutdown route (the Job would run forever), 403 to another pod, and no route to GET", () => {
      const without = policy.filter((o) => o.metadata.name !== ADMIN_SHUTDOWN.route);
      expect(adminRequest(without, req("POST", ADMIN_SHUTDOWN.path, "127.0.0.1")).status).toBe(404);
      expect(adminRequest(policy, req("POST", ADMIN_SHUTDOWN.path, podIp)).status).toBe(403);
      expect(decide(policy, req("GET", ADMIN_SHUTDOWN.path, "127.0.0.1")).status).toBe(404);
    });

    it("still serves Prometheus' scrape and the kubelet's probes from the cluster networks, and nothing else", () => {
      expect(adminRequest(policy, req("GET", "/metrics", podIp)).status).toBe(200);
      expect(adminRequest(policy, req("GET", "/ready", cidrHost(on.config.network.vpcCidr, 10))).status).toBe(200);
      expect(adminRequest(policy, req("GET", "/metrics", "203.0.113.9")).status).toBe(403);
      expect(adminRequest(policy, req("GET", "/env.json", podIp)).status).toBe(404);
    });
  });

  it("reports a refused proxy shutdown instead of hiding it", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bench-stop-"));
    const bin = path.join(dir, "bin");
    execFileSync("mkdir", [bin]);
    // A stand-in wget: the shutdown answers what the test says; fortio's REST answers a minimal result.
    writeFileSync(
      path.join(bin, "wget"),
      `#!/bin/sh
out=""; url=""
while [ $# -gt 0 ]; do case "$1" in -O) out="$2"; shift;; http*) url="$1";; esac; shift; done
` +
        `case "$url" in */shutdown) [ -n "$SHUTDOWN_ANSWER" ] && printf '%s\n' "$SHUTDOWN_ANSWER"; exit "$SHUTDOWN_EXIT";; esac
` +
        `case "$out" in *.json) printf '{\n  "ActualQPS": 1,\n  "DurationHistogram": {\n    "Count": 1\n  },\n  "RetCodes": {\n    "200": 1\n  }\n}\n' > "$out";; esac
`,
    );
    chmodSync(path.join(bin, "wget"), 0o755);
    const runWith = (answer: string, exit: number) =>
      spawnSync("sh", [BENCHMARK_SCRIPT_PATH], {
        encoding: "utf8",
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          MESHED_CLIENT: "http://m:8080",
          BASELINE_CLIENT: "http://b:8080",
          MESHED_TARGET: "http://productpage.bookinfo:9080/productpage",
          BASELINE_TARGET: "http://productpage.bookinfo-baseline:9080/productpage",
          QPS: "1",
          DURATION: "1",
          CONNECTIONS: "1",
          PROXY_ADMIN: "http://localhost:4191",
          RESULTS_DIR: dir,
          SHUTDOWN_ANSWER: answer,
          SHUTDOWN_EXIT: String(exit),
        },
      });
    expect(runWith("shutdown", 0).stderr).toBe("");
    expect(runWith("", 1).stderr).toContain("could not stop the Linkerd proxy at http://localhost:4191/shutdown");
  });

  itWith(shellcheck)("has a runner script that passes shellcheck", () => {
    execFileSync(shellcheck as string, ["-s", "sh", BENCHMARK_SCRIPT_PATH], { encoding: "utf8" });
  });

  it("prints throughput and percentiles side by side with the overhead, from fortio's JSON", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bench-"));
    const result = (qps: number, p50: number, p90: number, p99: number) =>
      JSON.stringify(
        {
          RunType: "HTTP",
          ActualQPS: qps,
          DurationHistogram: { Count: 1000, Percentiles: [{ Percentile: 50, Value: p50 }, { Percentile: 90, Value: p90 }, { Percentile: 99, Value: p99 }] },
          ErrorsDurationHistogram: { Count: 0, Percentiles: [{ Percentile: 50, Value: 9 }] },
          RetCodes: { "200": 990, "503": 10 },
        },
        null,
        2,
      );
    writeFileSync(path.join(dir, "meshed.json"), result(49.5, 0.0105, 0.021, 0.042));
    writeFileSync(path.join(dir, "baseline.json"), result(50, 0.01, 0.02, 0.04));
    // A stand-in wget: fortio's REST answers come from the files above; everything else succeeds.
    const bin = path.join(dir, "bin");
    execFileSync("mkdir", [bin]);
    writeFileSync(
      path.join(bin, "wget"),
      `#!/bin/sh\nout=""\nwhile [ $# -gt 0 ]; do case "$1" in -O) out="$2"; shift;; esac; shift; done\n` +
        `case "$out" in *meshed.json|*baseline.json) cp "${dir}/$(basename "$out")" "$out.tmp" && mv "$out.tmp" "$out";; esac\n`,
    );
    chmodSync(path.join(bin, "wget"), 0o755);
    const results = path.join(dir, "results");
    execFileSync("mkdir", [results]);
    const out = execFileSync("sh", [BENCHMARK_SCRIPT_PATH], {
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        MESHED_CLIENT: "http://m:8080",
        BASELINE_CLIENT: "http://b:8080",
        MESHED_TARGET: "http://productpage.bookinfo:9080/productpage",
        BASELINE_TARGET: "http://productpage.bookinfo-baseline:9080/productpage",
        QPS: "50",
        DURATION: "10",
        CONNECTIONS: "2",
        PROXY_ADMIN: "",
        RESULTS_DIR: results,
      },
    });
    expect(out).toMatch(/throughput qps\s+49\.50\s+50\.00\s+-1\.0%/);
    expect(out).toMatch(/p50 ms\s+10\.50\s+10\.00\s+\+5\.0%/);
    expect(out).toMatch(/p99 ms\s+42\.00\s+40\.00\s+\+5\.0%/);
    expect(out).toMatch(/HTTP 200 %\s+99\.00\s+99\.00/);
  });
});
