/**
 * Bookinfo's SLO rules delivered as a PrometheusRule, which
 * kube-prometheus-stack's Prometheus loads (its rule selector takes every
 * PrometheusRule; the release label is set as well, so the default selector
 * would take it too).
 */
import { RELEASES } from "../../lib/k8s-names";
import type { RuleGroup } from "../../lib/alerting/slo";
import { MANAGED_BY, PART_OF } from "./labels";
import type { KubeObject } from "./manifest";

export const PROMETHEUS_RULE_NAME = "bookinfo-slo";

export function prometheusRule(namespace: string, groups: readonly RuleGroup[]): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: PROMETHEUS_RULE_NAME,
      namespace,
      labels: { release: RELEASES.kubePrometheusStack, "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": MANAGED_BY },
    },
    spec: { groups },
  };
}
