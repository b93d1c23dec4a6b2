/**
 * A model of how a Linkerd stable-2.14.10 proxy decides an inbound HTTP
 * request on a port a `Server` selects, and of what its admin server then
 * answers. Each step follows the source at the pinned tags:
 *
 * - Routes: the HTTPRoutes whose parentRef is the Server; a Server without
 *   any gets one default route matching every request (linkerd2
 *   stable-2.14.10, policy-controller/k8s/index/src/inbound/index.rs,
 *   `http_routes`). No matching route → 404
 *   (linkerd2-proxy release/v2.210.4, linkerd/app/inbound/src/policy/http.rs,
 *   `mk_route_not_found`; the admin stack's rescue in
 *   linkerd/app/admin/src/stack.rs answers it `not_found`).
 * - Authorizations of a route: the AuthorizationPolicies that target it,
 *   those that target its Server (policy-controller index.rs; the proxy
 *   appends the Server's to every route, linkerd/proxy/server-policy/src/http.rs
 *   `try_route`), and one the proxy adds to every Server: unauthenticated
 *   clients from 127.0.0.1 and ::1 (linkerd/proxy/server-policy/src/lib.rs).
 *   A policy admits a client that satisfies all its required
 *   authentications (a NetworkAuthentication by address, a
 *   MeshTLSAuthentication by identity). None admits → 403
 *   (inbound/src/policy/http.rs, `HttpRouteUnauthorized`).
 * - The admin server (linkerd/app/admin/src/server.rs): `/live`, `/ready`,
 *   `/metrics` answer 200; `/shutdown` only to POST (else 405) and only from
 *   localhost (else 403), answering "shutdown"; anything else 404.
 */
import { cidrContains } from "../../lib/config";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface InboundRequest {
  readonly podLabels: Readonly<Record<string, string>>;
  /** The container port's name the request arrives on (e.g. `linkerd-admin`). */
  readonly portName: string;
  readonly method: string;
  readonly path: string;
  readonly clientIp: string;
  /** The client's mesh identity, when it connects over mTLS. */
  readonly clientIdentity?: string;
}

export interface Decision {
  readonly status: number;
  readonly body?: string;
  /** Why: the route that matched and the authorization that admitted, or what failed. */
  readonly reason: string;
}

const LOCALHOST = ["127.0.0.1", "::1"];

function selects(selector: Obj, labels: Readonly<Record<string, string>>): boolean {
  const byLabel = Object.entries((selector.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v);
  const byExpr = ((selector.matchExpressions ?? []) as Obj[]).every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      case "In":
        return has && (e.values as string[]).includes(labels[e.key] as string);
      case "NotIn":
        return !has || !(e.values as string[]).includes(labels[e.key] as string);
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
  return byLabel && byExpr;
}

function matchesRequest(match: Obj, req: InboundRequest): boolean {
  const path = match.path as { type?: string; value: string } | undefined;
  if (path) {
    const type = path.type ?? "PathPrefix";
    if (type === "Exact" && req.path !== path.value) return false;
    if (type === "PathPrefix" && !(req.path === path.value || req.path.startsWith(path.value.endsWith("/") ? path.value : `${path.value}/`))) return false;
    if (type !== "Exact" && type !== "PathPrefix") throw new Error(`unsupported path match ${type}`);
  }
  if (match.method !== undefined && match.method !== req.method) return false;
  if (match.headers !== undefined || match.queryParams !== undefined) throw new Error("header and query matches are not modelled");
  return true;
}

function ipIn(ip: string, cidr: string): boolean {
  if (ip.includes(":") || cidr.includes(":")) return ip === cidr.replace(/\/128$/, "");
  return cidrContains(cidr, `${ip}/32`);
}

/** The decision for one request, given every policy object of the namespace. */
export function decide(objects: readonly Obj[], req: InboundRequest): Decision {
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const servers = of("Server").filter((s) => s.spec.port === req.portName && selects(s.spec.podSelector, req.podLabels));
  if (servers.length !== 1) throw new Error(`${servers.length} Servers select port ${req.portName} of that pod; the model handles exactly one`);
  const server = servers[0] as Obj;
  const routes = of("HTTPRoute").filter((r) => (r.spec.parentRefs as Obj[]).some((p) => p.kind === "Server" && p.name === server.metadata.name));
  let routeName: string;
  if (routes.length === 0) {
    routeName = "default";
  } else {
    const matched = routes.find((r) => (r.spec.rules as Obj[]).some((rule) => ((rule.matches ?? [{}]) as Obj[]).some((m) => matchesRequest(m, req))));
    if (!matched) return { status: 404, reason: `no route of Server ${server.metadata.name} matches ${req.method} ${req.path}` };
    routeName = matched.metadata.name as string;
  }

  const policies = of("AuthorizationPolicy").filter(
    (p) =>
      (p.spec.targetRef.kind === "Server" && p.spec.targetRef.name === server.metadata.name) ||
      (p.spec.targetRef.kind === "HTTPRoute" && p.spec.targetRef.name === routeName),
  );
  const satisfied = (ref: Obj): boolean => {
    const target = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
    if (!target) return false;
    if (ref.kind === "NetworkAuthentication") return (target.spec.networks as Obj[]).some((n) => ipIn(req.clientIp, n.cidr as string));
    if (ref.kind === "MeshTLSAuthentication") return req.clientIdentity !== undefined && (target.spec.identities as string[]).includes(req.clientIdentity);
    throw new Error(`authentication kind ${ref.kind} is not modelled`);
  };
  const admitted = policies.find((p) => (p.spec.requiredAuthenticationRefs as Obj[]).every(satisfied))?.metadata.name as string | undefined;
  const authz = admitted ?? (LOCALHOST.includes(req.clientIp) ? "default:localhost" : undefined);
  if (!authz) return { status: 403, reason: `route ${routeName}: no authorization admits ${req.clientIp}` };
  return { status: 200, reason: `route ${routeName}, authorized by ${authz}` };
}

/** What the proxy's admin port answers to a request its policy let through (linkerd/app/admin/src/server.rs). */
export function adminAnswer(req: InboundRequest): Decision {
  switch (req.path) {
    case "/live":
    case "/ready":
    case "/metrics":
      return { status: 200, reason: "admin endpoint" };
    case "/shutdown":
      if (req.method !== "POST") return { status: 405, reason: "shutdown needs POST" };
      if (!LOCALHOST.includes(req.clientIp)) return { status: 403, reason: "shutdown only from localhost" };
      return { status: 200, body: "shutdown", reason: "proxy shuts down" };
    default:
      return { status: 404, reason: "no such admin endpoint" };
  }
}

/** Policy first, then the admin server. */
export function adminRequest(objects: readonly Obj[], req: InboundRequest): Decision {
  const policy = decide(objects, req);
  return policy.status === 200 ? { ...adminAnswer(req), reason: `${policy.reason}; ${adminAnswer(req).reason}` } : policy;
}
