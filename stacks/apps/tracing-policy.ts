/**
 * The one authorization tracing adds: Grafana may query Jaeger.
 *
 * The linkerd-jaeger chart guards Jaeger's UI/API port with a Server
 * (`jaeger-ui`) that only linkerd-viz's dashboard may use
 * (templates/tracing-policy.yaml at stable-2.14.10). Grafana runs unmeshed,
 * so it cannot present a mesh identity: it is admitted by network, from the
 * pod network, on that one Server; so is the API server's service proxy
 * (`npm run verify`, `kubectl proxy`), which connects from a node address
 * (the VPC) or the node's overlay address (the pod network). Nothing else in the extension's
 * namespace changes, and the Bookinfo namespace's policy does not change at
 * all: the proxies' spans travel to the collector, whose receiver the chart
 * already opens to every client.
 */
import { JAEGER_OBJECTS } from "../../lib/k8s-names";
import { LINKERD_POLICY_API } from "./linkerd-annotations";
import { MANAGED_BY, PART_OF } from "./labels";
import type { KubeObject } from "./manifest";

export const JAEGER_QUERY_CLIENTS = "jaeger-query-clients";

/**
 * `namespace` is the platform stack's output (the extension's namespace once
 * its release is installed), so these objects come after the chart's Server.
 */
export function jaegerQueryAuthorization(namespace: string, networks: readonly string[]): KubeObject[] {
  const metadata = {
    name: JAEGER_QUERY_CLIENTS,
    namespace,
    labels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": MANAGED_BY },
  };
  return [
    {
      apiVersion: LINKERD_POLICY_API.networkAuthentication,
      kind: "NetworkAuthentication",
      metadata,
      spec: { networks: networks.map((cidr) => ({ cidr })) },
    },
    {
      apiVersion: LINKERD_POLICY_API.authorizationPolicy,
      kind: "AuthorizationPolicy",
      metadata,
      spec: {
        targetRef: { group: LINKERD_POLICY_API.group, kind: "Server", name: JAEGER_OBJECTS.jaegerUiServer },
        requiredAuthenticationRefs: [{ group: LINKERD_POLICY_API.group, kind: "NetworkAuthentication", name: JAEGER_QUERY_CLIENTS }],
      },
    },
  ];
}
