/**
 * What Grafana's ServiceAccount may do in the cluster: read ConfigMaps in its
 * own namespace, for the sidecars that load dashboards and datasources, and
 * nothing else — no Secret anywhere.
 *
 * The grafana chart's own RBAC (templates/clusterrole.yaml and role.yaml at
 * grafana-12.11.1) always grants `configmaps` and `secrets` together,
 * cluster-wide unless `rbac.namespaced`; so the chart's RBAC is off
 * (`grafana.rbac.create: false`) and this Role and RoleBinding replace it.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { GRAFANA_SERVICE_ACCOUNT } from "../../lib/k8s-names";

/** The one rule Grafana's sidecars need (k8s-sidecar lists and watches ConfigMaps by label). */
export const GRAFANA_SIDECAR_RULE = { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] } as const;

export interface GrafanaRbacProps {
  readonly provider: KubernetesProvider;
  /** Grafana's namespace. */
  readonly namespace: string;
  readonly dependsOn: ITerraformDependable[];
}

export class GrafanaRbac extends Construct {
  readonly role: RoleV1;
  readonly binding: RoleBindingV1;

  constructor(scope: Construct, id: string, props: GrafanaRbacProps) {
    super(scope, id);
    const name = `${GRAFANA_SERVICE_ACCOUNT}-sidecar`;
    this.role = new RoleV1(this, "role", {
      provider: props.provider,
      metadata: { name, namespace: props.namespace },
      rule: [{ apiGroups: [...GRAFANA_SIDECAR_RULE.apiGroups], resources: [...GRAFANA_SIDECAR_RULE.resources], verbs: [...GRAFANA_SIDECAR_RULE.verbs] }],
      dependsOn: props.dependsOn,
    });
    this.binding = new RoleBindingV1(this, "binding", {
      provider: props.provider,
      metadata: { name, namespace: props.namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: this.role.metadata.name },
      subject: [{ kind: "ServiceAccount", name: GRAFANA_SERVICE_ACCOUNT, namespace: props.namespace }],
    });
  }
}
