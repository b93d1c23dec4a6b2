/** Checks of the cluster itself: API, nodes, kubelets, pods, Linkerd's control plane and certificates, injection. */
import { X509Certificate } from "node:crypto";
import { GRAPH_NODES } from "../../lib/bookinfo-graph";
import { LINKERD_OBJECTS, NAMESPACES } from "../../lib/k8s-names";
import { PORTS } from "../../lib/ports";
import { VerifyError } from "../http";
import { statusMessage } from "../kube";
import { need } from "../runner";
import { configMap, deploymentList, nodeList, podList, secret, versionInfo } from "../schemas";
import type { DeploymentList, NodeList, Pod, PodList } from "../schemas";
import type { Check, Expectations, Outcome } from "../types";

/** Namespaces whose every pod must be Running and Ready. */
export const WATCHED_NAMESPACES = ["kube-system", NAMESPACES.flannel, NAMESPACES.linkerd, NAMESPACES.monitoring, NAMESPACES.bookinfo] as const;

/** The namespaces the pods check reads: the fixed ones, and tracing's and logging's when they are on. */
export function watchedNamespaces(expect: Pick<Expectations, "tracing" | "logs">): string[] {
  return [...WATCHED_NAMESPACES, ...(expect.tracing ? [NAMESPACES.linkerdJaeger] : []), ...(expect.logs ? [NAMESPACES.logging] : [])];
}

/** At most this many offenders are named in evidence; the rest are counted. */
const MAX_LISTED = 6;

export function listSome(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join("; ");
  return items.length > MAX_LISTED ? `${shown}; and ${items.length - MAX_LISTED} more` : shown;
}

// --- decisions (pure) ---

export function decideNodes(list: NodeList, expected: number): Outcome & { names: string[] } {
  const names = list.items.map((n) => n.metadata.name);
  const notReady = list.items
    .filter((n) => n.status.conditions.find((c) => c.type === "Ready")?.status !== "True")
    .map((n) => {
      const c = n.status.conditions.find((x) => x.type === "Ready");
      return `${n.metadata.name} (${c ? `Ready=${c.status}${c.reason ? `, ${c.reason}` : ""}` : "no Ready condition"})`;
    });
  const ready = names.length - notReady.length;
  if (notReady.length === 0 && names.length === expected) {
    return { ok: true, evidence: `${ready}/${expected} Ready: ${names.join(", ")}`, names };
  }
  const parts = [`${ready} Ready of ${names.length} registered; expected ${expected}`];
  if (notReady.length > 0) parts.push(`not Ready: ${listSome(notReady)}`);
  return { ok: false, evidence: parts.join("; "), names };
}

export interface KubeletProbe {
  readonly node: string;
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

export function decideKubelets(probes: readonly KubeletProbe[]): Outcome {
  if (probes.length === 0) return { ok: false, evidence: "no nodes to probe" };
  const bad = probes
    .filter((p) => !(p.status === 200 && p.body?.trim() === "ok"))
    .map((p) => `${p.node}: ${p.error ?? `HTTP ${p.status ?? "?"} ${statusMessage(p.body ?? "")}`}`);
  if (bad.length === 0) return { ok: true, evidence: `${probes.length}/${probes.length} kubelets answer healthz through the API server` };
  return { ok: false, evidence: `${bad.length} of ${probes.length} kubelets unreachable: ${listSome(bad)}` };
}

function podProblem(pod: Pod): string | undefined {
  const phase = pod.status.phase ?? "Unknown";
  if (phase === "Succeeded") return undefined; // a completed Job pod
  const name = `${pod.metadata.namespace ?? "?"}/${pod.metadata.name}`;
  if (phase !== "Running") {
    const waiting = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])]
      .map((c) => c.state?.waiting?.reason)
      .find((r) => r !== undefined);
    return `${name} ${phase}${waiting ? ` (${waiting})` : pod.status.reason ? ` (${pod.status.reason})` : ""}`;
  }
  const statuses = pod.status.containerStatuses ?? [];
  if (statuses.length === 0) return `${name} Running but reports no containers`;
  const unready = statuses.filter((c) => !c.ready);
  if (unready.length === 0) return undefined;
  const detail = unready.map((c) => `${c.name}${c.state?.waiting?.reason ? ` ${c.state.waiting.reason}` : " not ready"}`).join(", ");
  return `${name} ${statuses.length - unready.length}/${statuses.length} ready (${detail})`;
}

export function decidePods(byNamespace: Readonly<Record<string, PodList>>): Outcome {
  const problems: string[] = [];
  const counts: string[] = [];
  let total = 0;
  for (const [ns, list] of Object.entries(byNamespace)) {
    if (list.items.length === 0) problems.push(`${ns}: no pods at all`);
    for (const pod of list.items) {
      const p = podProblem({ ...pod, metadata: { ...pod.metadata, namespace: pod.metadata.namespace ?? ns } });
      if (p) problems.push(p);
    }
    total += list.items.length;
    counts.push(`${ns} ${list.items.length}`);
  }
  if (problems.length > 0) return { ok: false, evidence: `${problems.length} problem(s): ${listSome(problems)}` };
  return { ok: true, evidence: `${total} pods Running and Ready (${counts.join(", ")})` };
}

export function decideControlPlane(list: DeploymentList, required: readonly string[] = LINKERD_OBJECTS.deployments): Outcome {
  const problems: string[] = [];
  const good: string[] = [];
  for (const name of required) {
    const d = list.items.find((x) => x.metadata.name === name);
    if (!d) {
      problems.push(`${name} missing`);
      continue;
    }
    const want = d.spec.replicas ?? 1;
    const available = d.status.availableReplicas ?? 0;
    if (want < 1 || available < want) problems.push(`${name} ${available}/${want} available`);
    else good.push(`${name} ${available}/${want}`);
  }
  if (problems.length > 0) return { ok: false, evidence: problems.join("; ") };
  return { ok: true, evidence: `available: ${good.join(", ")}` };
}

/** Splits a PEM bundle into its certificates. */
export function pemBlocks(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

const DAY_MS = 86_400_000;

function remainingDays(cert: X509Certificate, now: Date): number {
  return (new Date(cert.validTo).getTime() - now.getTime()) / DAY_MS;
}

export function decideCertificates(issuerPem: string, anchorsPem: string, now: Date, minDays: number): Outcome {
  let issuer: X509Certificate;
  const anchors: X509Certificate[] = [];
  try {
    issuer = new X509Certificate(issuerPem);
  } catch (e) {
    return { ok: false, evidence: `issuer certificate does not parse: ${(e as Error).message}` };
  }
  const blocks = pemBlocks(anchorsPem);
  if (blocks.length === 0) return { ok: false, evidence: "the trust anchor bundle holds no certificate" };
  try {
    for (const b of blocks) anchors.push(new X509Certificate(b));
  } catch (e) {
    return { ok: false, evidence: `a trust anchor does not parse: ${(e as Error).message}` };
  }
  const problems: string[] = [];
  const describe = (label: string, c: X509Certificate) => {
    const days = remainingDays(c, now);
    const until = new Date(c.validTo).toISOString().slice(0, 10);
    if (new Date(c.validFrom).getTime() > now.getTime()) problems.push(`${label} not valid before ${c.validFrom}`);
    if (days < 0) problems.push(`${label} expired on ${until}`);
    else if (days < minDays) problems.push(`${label} expires in ${Math.floor(days)} d (${until}), under the ${minDays} d minimum`);
    return `${label} ${Math.floor(days)} d left (until ${until})`;
  };
  const parts = [describe("issuer", issuer), ...anchors.map((a, i) => describe(anchors.length > 1 ? `trust anchor #${i + 1}` : "trust anchor", a))];
  const chains = anchors.some((a) => issuer.checkIssued(a) && issuer.verify(a.publicKey));
  if (!chains) problems.push("the issuer is not signed by any trust anchor (proxies will reject its certificates)");
  if (!issuer.ca) problems.push("the issuer certificate is not a CA");
  if (problems.length > 0) return { ok: false, evidence: problems.join("; ") };
  return { ok: true, evidence: `${parts.join("; ")}; issuer chains to the anchor` };
}

/** Deployment a pod belongs to, by Linkerd's label or the pod name `<deployment>-<hash>-<id>`. */
function podDeployment(pod: Pod, deployments: readonly string[]): string | undefined {
  const label = pod.metadata.labels?.["linkerd.io/proxy-deployment"];
  if (label) return label;
  return deployments.find((d) => new RegExp(`^${d}-[a-z0-9]+-[a-z0-9]+$`).test(pod.metadata.name));
}

export function decideMeshed(list: PodList, deployments: readonly string[] = GRAPH_NODES.map((n) => n.deployment)): Outcome {
  const proxy = LINKERD_OBJECTS.proxyContainer;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const pod of list.items) {
    if (pod.status.phase === "Succeeded") continue;
    const d = podDeployment(pod, deployments);
    if (d) seen.add(d);
    const all = [...(pod.status.containerStatuses ?? []), ...(pod.status.initContainerStatuses ?? [])];
    const p = all.find((c) => c.name === proxy);
    const containers = pod.status.containerStatuses ?? [];
    const ready = containers.filter((c) => c.ready).length;
    if (!p) problems.push(`${pod.metadata.name} has no ${proxy} (${ready}/${containers.length}; created while the injector was down?)`);
    else if (!p.ready) problems.push(`${pod.metadata.name} ${proxy} not ready`);
  }
  const missing = deployments.filter((d) => !seen.has(d));
  if (missing.length > 0) problems.push(`no pods for ${missing.join(", ")}`);
  if (problems.length > 0) return { ok: false, evidence: listSome(problems) };
  return { ok: true, evidence: `${list.items.length} pods of ${deployments.length} deployments each with a ready ${proxy}` };
}

// --- checks ---

export const apiCheck: Check = {
  id: "api",
  title: "API reachable",
  needs: [],
  remedy: `check the cluster stack is deployed, your address is in access.adminCidrs (port ${PORTS.kubeApiServer.port}), and the credentials are this cluster's`,
  async run(ctx, signal) {
    const kube = need(ctx.kube);
    const v = await kube.get("/version", versionInfo, signal);
    // /version may be open to anonymous clients; this read proves the credentials are accepted.
    await kube.text(`/api/v1/namespaces/kube-system`, signal);
    return { ok: true, evidence: `Kubernetes ${v.gitVersion} at ${kube.creds.server}; credentials accepted (${kube.creds.source})` };
  },
};

export const nodesCheck: Check = {
  id: "nodes",
  title: "Nodes Ready",
  needs: ["api"],
  remedy: "look at the missing or NotReady node's cloud-init log (/var/log/cloud-init-output.log, via Session Manager) and kubelet journal",
  async run(ctx, signal) {
    const list = await need(ctx.kube).get("/api/v1/nodes", nodeList, signal);
    const d = decideNodes(list, ctx.expect.nodeCount);
    ctx.facts.nodeNames = d.names;
    return { ok: d.ok, evidence: d.evidence };
  },
};

export const kubeletCheck: Check = {
  id: "kubelet",
  title: "Kubelets reachable",
  needs: ["nodes"],
  remedy: `allow TCP ${PORTS.kubelet.port} from the control plane to every node in the cluster security group (never from the internet)`,
  async run(ctx, signal) {
    const kube = need(ctx.kube);
    const names = ctx.facts.nodeNames ?? [];
    const probes = await Promise.all(
      names.map(async (node): Promise<KubeletProbe> => {
        try {
          const res = await kube.raw(`/api/v1/nodes/${encodeURIComponent(node)}/proxy/healthz`, signal);
          return { node, status: res.status, body: res.body };
        } catch (e) {
          if (e instanceof VerifyError) return { node, error: e.message };
          throw e;
        }
      }),
    );
    return decideKubelets(probes);
  },
};

export const podsCheck: Check = {
  id: "pods",
  title: "Pods Running and Ready",
  needs: ["api"],
  remedy: "inspect the named pods' events and logs; Pending usually means scheduling or CNI, PodInitializing in linkerd means proxies cannot reach linkerd-identity",
  async run(ctx, signal) {
    const kube = need(ctx.kube);
    const namespaces = watchedNamespaces(ctx.expect);
    const lists = await Promise.all(namespaces.map((ns) => kube.get(`/api/v1/namespaces/${ns}/pods`, podList, signal)));
    return decidePods(Object.fromEntries(namespaces.map((ns, i) => [ns, lists[i] as PodList])));
  },
};

export const controlPlaneCheck: Check = {
  id: "linkerd-control-plane",
  title: "Linkerd control plane",
  needs: ["api"],
  remedy: "check the linkerd namespace's pods and the linkerd-control-plane Helm release; identity must be up before the others start",
  async run(ctx, signal) {
    const list = await need(ctx.kube).get(`/apis/apps/v1/namespaces/${NAMESPACES.linkerd}/deployments`, deploymentList, signal);
    return decideControlPlane(list);
  },
};

export const certificatesCheck: Check = {
  id: "linkerd-certificates",
  title: "Linkerd certificates",
  needs: ["api"],
  remedy: "rotate the issuer (and anchor, if due) by redeploying the platform stack with new certificates before they expire",
  async run(ctx, signal) {
    const kube = need(ctx.kube);
    const ns = NAMESPACES.linkerd;
    const s = await kube.get(`/api/v1/namespaces/${ns}/secrets/${LINKERD_OBJECTS.issuerSecret}`, secret, signal);
    const cm = await kube.get(`/api/v1/namespaces/${ns}/configmaps/${LINKERD_OBJECTS.trustRootsConfigMap}`, configMap, signal);
    // Only the certificate is read from the Secret; its key is never looked at.
    const crt = s.data["crt.pem"] ?? s.data["tls.crt"];
    if (!crt) throw new VerifyError(`Secret ${ns}/${LINKERD_OBJECTS.issuerSecret} has no crt.pem`);
    const bundle = cm.data["ca-bundle.crt"];
    if (!bundle) throw new VerifyError(`ConfigMap ${ns}/${LINKERD_OBJECTS.trustRootsConfigMap} has no ca-bundle.crt`);
    return decideCertificates(Buffer.from(crt, "base64").toString("utf8"), bundle, ctx.now(), ctx.expect.certMinDays);
  },
};

export const meshedCheck: Check = {
  id: "meshed",
  title: "Bookinfo meshed",
  needs: ["api"],
  remedy: "restart the named deployments (kubectl rollout restart) now that the proxy injector is up; check the namespace has linkerd.io/inject: enabled",
  async run(ctx, signal) {
    const list = await need(ctx.kube).get(`/api/v1/namespaces/${NAMESPACES.bookinfo}/pods`, podList, signal);
    return decideMeshed(list);
  },
};
