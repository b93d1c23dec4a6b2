/**
 * Default-deny authorization for a meshed namespace, as Linkerd policy
 * objects generated from the call graph:
 *
 * - per served app: a `Server` on its HTTP port (HTTP/1), a
 *   `MeshTLSAuthentication` listing its callers' mesh identities (their
 *   ServiceAccounts) and an `AuthorizationPolicy` tying the two;
 * - productpage also admits unauthenticated clients from the cluster's
 *   networks (its NodePort: browser traffic arrives source-NATed from node and
 *   pod addresses);
 * - every proxy's admin port: `/metrics` for Prometheus (not meshed, so
 *   authenticated by network: the pod CIDR and the VPC) and `/live`,
 *   `/ready` for the kubelet's probes of the proxy; and `POST /shutdown`
 *   with no AuthorizationPolicy at all, so only the one authorization the
 *   proxy adds to every Server itself admits it: clients on localhost
 *   (linkerd2-proxy v2.210.4, linkerd/proxy/server-policy/src/lib.rs). A
 *   Job's container stops its own proxy that way when it is done; without
 *   the route the proxy answers 404 (no route matches) and the Job never
 *   completes. The admin server itself also refuses a non-local shutdown.
 *
 * Everything else is denied by the namespace's default policy. The app
 * containers' own readiness probes need nothing here: Linkerd authorizes
 * probe paths on Servers that have no HTTPRoutes by itself.
 */
import { NAMESPACES } from "../../lib/k8s-names";
import { LINKERD_POLICY_API, LINKERD_TRUST_DOMAIN } from "./linkerd-annotations";
import { MANAGED_BY, PART_OF } from "./labels";
import type { KubeObject } from "./manifest";

/** The proxy admin port's container port name (PORTS.linkerdProxyAdmin). */
export const PROXY_ADMIN_PORT_NAME = "linkerd-admin";
export const CLUSTER_NETWORKS = "cluster-networks";
export const ADMIN_SERVER = "linkerd-admin";
export const ADMIN_ROUTES = { metrics: "proxy-metrics", probes: "proxy-probes" } as const;
export const ADMIN_PATHS = { metrics: ["/metrics"], probes: ["/live", "/ready"] } as const;
/** The route a pod's own containers use to stop its proxy (localhost only). */
export const ADMIN_SHUTDOWN = { route: "proxy-shutdown", path: "/shutdown", method: "POST" } as const;

/** The mesh identity of a ServiceAccount's pods. */
export function meshIdentity(serviceAccount: string, namespace: string): string {
  return `${serviceAccount}.${namespace}.serviceaccount.identity.${NAMESPACES.linkerd}.${LINKERD_TRUST_DOMAIN}`;
}

export interface ServedApp {
  /** The `app` label of the pods and the prefix of the policy objects' names. */
  readonly app: string;
  /** Container port name the app serves on. */
  readonly portName: string;
  /** ServiceAccounts (in the same namespace) allowed to call it. */
  readonly callers: readonly string[];
  /** Also admit unauthenticated clients from the cluster networks (NodePort). */
  readonly fromClusterNetworks?: boolean;
}

export interface AuthorizationInput {
  readonly namespace: string;
  readonly apps: readonly ServedApp[];
  /** Pod CIDR and VPC CIDR: where Prometheus, kubelets and NodePort clients come from. */
  readonly clusterNetworks: readonly string[];
}

const labels = { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": MANAGED_BY };
const ref = (kind: string, name: string) => ({ group: LINKERD_POLICY_API.group, kind, name });

export function serverName(app: string): string {
  return `${app}-http`;
}

export function authorizationObjects(input: AuthorizationInput): KubeObject[] {
  const { namespace } = input;
  const meta = (name: string) => ({ name, namespace, labels });
  const objects: KubeObject[] = [
    {
      apiVersion: LINKERD_POLICY_API.networkAuthentication,
      kind: "NetworkAuthentication",
      metadata: meta(CLUSTER_NETWORKS),
      spec: { networks: input.clusterNetworks.map((cidr) => ({ cidr })) },
    },
  ];

  for (const app of input.apps) {
    const server = serverName(app.app);
    objects.push({
      apiVersion: LINKERD_POLICY_API.server,
      kind: "Server",
      metadata: meta(server),
      spec: { podSelector: { matchLabels: { app: app.app } }, port: app.portName, proxyProtocol: "HTTP/1" },
    });
    if (app.callers.length > 0) {
      const callers = `${app.app}-callers`;
      objects.push(
        {
          apiVersion: LINKERD_POLICY_API.meshTlsAuthentication,
          kind: "MeshTLSAuthentication",
          metadata: meta(callers),
          spec: { identities: [...new Set(app.callers)].sort().map((sa) => meshIdentity(sa, namespace)) },
        },
        {
          apiVersion: LINKERD_POLICY_API.authorizationPolicy,
          kind: "AuthorizationPolicy",
          metadata: meta(callers),
          spec: { targetRef: ref("Server", server), requiredAuthenticationRefs: [ref("MeshTLSAuthentication", callers)] },
        },
      );
    }
    if (app.fromClusterNetworks) {
      objects.push({
        apiVersion: LINKERD_POLICY_API.authorizationPolicy,
        kind: "AuthorizationPolicy",
        metadata: meta(`${app.app}-cluster-networks`),
        spec: { targetRef: ref("Server", server), requiredAuthenticationRefs: [ref("NetworkAuthentication", CLUSTER_NETWORKS)] },
      });
    }
  }

  // The proxies' admin port: metrics for Prometheus, probes for the kubelet, nothing else.
  objects.push({
    apiVersion: LINKERD_POLICY_API.server,
    kind: "Server",
    metadata: meta(ADMIN_SERVER),
    spec: {
      podSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] },
      port: PROXY_ADMIN_PORT_NAME,
      proxyProtocol: "HTTP/1",
    },
  });
  for (const [key, route] of Object.entries(ADMIN_ROUTES) as Array<[keyof typeof ADMIN_ROUTES, string]>) {
    objects.push(
      {
        apiVersion: LINKERD_POLICY_API.httpRoute,
        kind: "HTTPRoute",
        metadata: meta(route),
        spec: {
          parentRefs: [ref("Server", ADMIN_SERVER)],
          rules: [{ matches: ADMIN_PATHS[key].map((value) => ({ path: { type: "Exact", value } })) }],
        },
      },
      {
        apiVersion: LINKERD_POLICY_API.authorizationPolicy,
        kind: "AuthorizationPolicy",
        metadata: meta(route),
        spec: { targetRef: ref("HTTPRoute", route), requiredAuthenticationRefs: [ref("NetworkAuthentication", CLUSTER_NETWORKS)] },
      },
    );
  }
  objects.push({
    apiVersion: LINKERD_POLICY_API.httpRoute,
    kind: "HTTPRoute",
    metadata: meta(ADMIN_SHUTDOWN.route),
    spec: {
      parentRefs: [ref("Server", ADMIN_SERVER)],
      rules: [{ matches: [{ path: { type: "Exact", value: ADMIN_SHUTDOWN.path }, method: ADMIN_SHUTDOWN.method }] }],
    },
  });
  return objects;
}
