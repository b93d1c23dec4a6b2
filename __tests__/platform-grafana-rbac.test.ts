/**
 * Grafana's ServiceAccount reads no Secret: stands in for Trivy KSV041
 * ("manage secrets": a Role or ClusterRole granting get/list/watch on
 * secrets) and the CIS Kubernetes Benchmark v1.10 item 5.1.2 "Minimize access
 * to secrets" (kube-bench cfg/cis-1.10/policies.yaml).
 *
 * What the ServiceAccount may do is computed from every RBAC object of the
 * platform stack plus the RBAC the grafana chart itself renders for the values
 * given, modelled on its templates at the pinned tag (below).
 */
import { parse } from "yaml";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { GRAFANA_SERVICE_ACCOUNT, NAMESPACES, RELEASES } from "../lib/k8s-names";
import { kubePrometheusStackValues } from "../stacks/platform/monitoring-values";
import { GRAFANA_SIDECAR_RULE } from "../stacks/platform/grafana-rbac";
import { releaseNamed, resourcesOf, synthApp, testConfig, type SynthesizedStack } from "./helpers/synth";

type Json = Record<string, any>;

interface Grant {
  /** A namespace, or "*" for a cluster-wide grant. */
  readonly namespace: string;
  readonly resources: string[];
  readonly verbs: string[];
  readonly from: string;
}

/**
 * The RBAC the grafana chart renders (grafana-community/helm-charts, tag
 * grafana-12.11.1, charts/grafana/templates/clusterrole.yaml and role.yaml):
 * with `rbac.create` (default true) and any of the dashboards, datasources,
 * plugins or alerts sidecars on, one rule on configmaps AND secrets
 * (get, watch, list) — in a ClusterRole unless `rbac.namespaced`, else in a
 * Role in the release namespace and each of `rbac.namespaces`.
 */
function grafanaChartGrants(grafana: Json, releaseNamespace: string): Grant[] {
  const rbac = grafana.rbac ?? {};
  if (rbac.create === false) return [];
  const sidecar = grafana.sidecar ?? {};
  // kube-prometheus-stack turns the dashboards and datasources sidecars on (values.yaml at 88.5.3).
  const anySidecar = [sidecar.dashboards?.enabled ?? true, sidecar.datasources?.enabled ?? true, sidecar.plugins?.enabled ?? false, sidecar.alerts?.enabled ?? false].some(Boolean);
  if (!anySidecar) return [];
  const rule = { resources: ["configmaps", "secrets"], verbs: ["get", "watch", "list"] };
  if (rbac.namespaced !== true) return [{ namespace: "*", ...rule, from: "chart ClusterRole" }];
  return [...(rbac.namespaces ?? []), releaseNamespace].map((ns: string) => ({ namespace: ns, ...rule, from: `chart Role in ${ns}` }));
}

/** Grants to a ServiceAccount from the RBAC resources Terraform creates in a stack. */
function terraformGrants(stack: SynthesizedStack, serviceAccount: string, namespace: string): Grant[] {
  const roles = { ...resourcesOf(stack, "kubernetes_role_v1"), ...resourcesOf(stack, "kubernetes_cluster_role_v1") };
  const bindings = { ...resourcesOf(stack, "kubernetes_role_binding_v1"), ...resourcesOf(stack, "kubernetes_cluster_role_binding_v1") };
  const namespaces = resourcesOf(stack, "kubernetes_namespace_v1");
  /** A namespace as written, or the name of the namespace resource it refers to. */
  const ns = (v: unknown): string => {
    const m = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(String(v));
    if (!m) return String(v);
    const target = namespaces[m[1] as string];
    if (!target) throw new Error(`reference to a namespace this stack does not create: ${String(v)}`);
    return String((target.metadata as Json).name);
  };
  const out: Grant[] = [];
  for (const [id, b] of Object.entries(bindings)) {
    const subjects = (b.subject as Json[]) ?? [];
    if (!subjects.some((s) => s.kind === "ServiceAccount" && s.name === serviceAccount && ns(s.namespace) === namespace)) continue;
    const ref = b.role_ref as Json;
    const roleId = /\$\{kubernetes_(?:cluster_)?role_v1\.([^.]+)\.metadata\[0\]\.name\}|\$\{kubernetes_(?:cluster_)?role_v1\.([^.]+)\.metadata\.name\}/.exec(String(ref.name));
    const role = Object.entries(roles).find(([rid, r]) => rid === (roleId?.[1] ?? roleId?.[2]) || (r.metadata as Json)?.name === ref.name)?.[1];
    if (!role) throw new Error(`binding ${id} refers to a role this stack does not create: ${String(ref.name)}`);
    const bindingNs = (b.metadata as Json)?.namespace === undefined ? "*" : ns((b.metadata as Json).namespace);
    for (const rule of (role.rule as Json[]) ?? []) out.push({ namespace: bindingNs, resources: rule.resources, verbs: rule.verbs, from: `binding ${id}` });
  }
  return out;
}

/** KSV041 / CIS 5.1.2: any read of Secrets. */
const secretReads = (grants: Grant[]) =>
  grants.filter((g) => g.resources.some((r) => r === "secrets" || r === "*") && g.verbs.some((v) => ["get", "list", "watch", "*"].includes(v)));

function grafanaGrants(stack: SynthesizedStack): Grant[] {
  const values = parse(String((releaseNamed(stack, RELEASES.kubePrometheusStack).body.values as string[])[0])) as Json;
  return [...grafanaChartGrants(values.grafana, NAMESPACES.monitoring), ...terraformGrants(stack, GRAFANA_SERVICE_ACCOUNT, NAMESPACES.monitoring)];
}

describe("Grafana's service account", () => {
  const platform = synthApp().stack("platform");
  const grafana = kubePrometheusStackValues(testConfig()).grafana as Json;

  it("reads no Secret anywhere (Trivy KSV041, CIS Kubernetes Benchmark v1.10 5.1.2)", () => {
    expect(grafanaGrants(platform).length).toBeGreaterThan(0);
    expect(secretReads(grafanaGrants(platform))).toEqual([]);
  });

  it("may only get, list and watch ConfigMaps in its own namespace", () => {
    expect(grafanaGrants(platform).map(({ namespace, resources, verbs }) => ({ namespace, resources, verbs }))).toEqual([
      { namespace: NAMESPACES.monitoring, resources: [...GRAFANA_SIDECAR_RULE.resources], verbs: [...GRAFANA_SIDECAR_RULE.verbs] },
    ]);
  });

  it("has sidecars that load ConfigMaps only, from its own namespace only", () => {
    for (const kind of ["dashboards", "datasources"]) {
      expect({ kind, ...grafana.sidecar[kind] }).toMatchObject({ kind, resource: "configmap", searchNamespace: NAMESPACES.monitoring });
    }
    // The other sidecars stay off (the grafana chart's default), so nothing else watches anything.
    for (const kind of ["plugins", "alerts", "notifiers"]) expect(grafana.sidecar[kind]?.enabled).toBeUndefined();
    expect(grafana.serviceAccount).toEqual({ create: true, name: GRAFANA_SERVICE_ACCOUNT });
  });

  it("the check finds the chart's default RBAC: Secrets cluster-wide", () => {
    const defaults = grafanaChartGrants({ sidecar: {} }, NAMESPACES.monitoring);
    expect(secretReads(defaults).map((g) => g.namespace)).toEqual(["*"]);
    // Namespaced, the chart still grants Secrets in its namespace.
    expect(secretReads(grafanaChartGrants({ rbac: { namespaced: true } }, NAMESPACES.monitoring)).map((g) => g.namespace)).toEqual([NAMESPACES.monitoring]);
  });

  it("the check finds a Role of this stack that adds Secrets", () => {
    const bad = synthApp({}, (stacks) => {
      const role = stacks.platform.node.findAll().find((c) => c instanceof RoleV1) as RoleV1 | undefined;
      if (!role) throw new Error("no Grafana Role in the platform stack");
      role.addOverride("rule.0.resources", ["configmaps", "secrets"]);
    }).stack("platform");
    expect(secretReads(grafanaGrants(bad))).toHaveLength(1);
  });
});
