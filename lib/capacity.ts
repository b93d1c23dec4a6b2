/**
 * Scheduling capacity: what a node offers and what a pod asks for, in the
 * scheduler's own terms (resource requests), and a placement of pods over
 * the workers the way the default scheduler would spread them.
 *
 * Used by the resource-budget test and the sizing notes in docs/logs.md.
 */

/** CPU in millicores and memory in MiB. */
export interface Amount {
  readonly cpuMilli: number;
  readonly memoryMiB: number;
}

/**
 * EC2 instance types' vCPUs and memory (AWS's published instance specs), and
 * for burstable types the baseline share of each vCPU they sustain without
 * spending credits (AWS "Key concepts for burstable performance instances":
 * t3.medium 20 %, t3.large 30 %, t3.xlarge 40 %, t3.2xlarge 40 %).
 */
export const INSTANCE_TYPES: Readonly<Record<string, { readonly vcpus: number; readonly memoryMiB: number; readonly baseline?: number }>> = {
  "t3.medium": { vcpus: 2, memoryMiB: 4096, baseline: 0.2 },
  "t3.large": { vcpus: 2, memoryMiB: 8192, baseline: 0.3 },
  "t3.xlarge": { vcpus: 4, memoryMiB: 16384, baseline: 0.4 },
  "t3.2xlarge": { vcpus: 8, memoryMiB: 32768, baseline: 0.4 },
  "m5.large": { vcpus: 2, memoryMiB: 8192 },
  "m5.xlarge": { vcpus: 4, memoryMiB: 16384 },
  "m6i.large": { vcpus: 2, memoryMiB: 8192 },
  "m6i.xlarge": { vcpus: 4, memoryMiB: 16384 },
};

/**
 * The kubelet's default hard eviction threshold for memory
 * (`memory.available<100Mi`), which allocatable subtracts. The nodes set no
 * kube-reserved or system-reserved, so nothing else is subtracted; the
 * kernel's own share makes the real figure somewhat lower, which the 80 %
 * ceiling absorbs.
 */
export const KUBELET_EVICTION_MEMORY_MIB = 100;

/** Allocatable CPU and memory of one node of this instance type. */
export function allocatable(instanceType: string): Amount {
  const t = INSTANCE_TYPES[instanceType];
  if (!t) {
    throw new Error(`instance type ${instanceType}: capacity unknown; add it to INSTANCE_TYPES in lib/capacity.ts (known: ${Object.keys(INSTANCE_TYPES).join(", ")})`);
  }
  return { cpuMilli: t.vcpus * 1000, memoryMiB: t.memoryMiB - KUBELET_EVICTION_MEMORY_MIB };
}

/** Kubernetes quantity → millicores (`100m`, `1`, `0.5`); empty or absent is 0. */
export function cpuMilli(quantity: string | number | undefined | null): number {
  if (quantity === undefined || quantity === null || quantity === "") return 0;
  const text = String(quantity);
  if (text.endsWith("m")) return Number(text.slice(0, -1));
  return Number(text) * 1000;
}

/** Kubernetes quantity → MiB (`64Mi`, `1Gi`, `500M`, bytes); empty or absent is 0. */
export function memoryMiB(quantity: string | number | undefined | null): number {
  if (quantity === undefined || quantity === null || quantity === "") return 0;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!m) throw new Error(`memory quantity ${JSON.stringify(quantity)}: not a Kubernetes quantity`);
  const n = Number(m[1]);
  const factor: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, k: 1000 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20, T: 1e12 / 2 ** 20 };
  return m[2] === undefined ? n / 2 ** 20 : n * (factor[m[2]] as number);
}

/** A pod's containers and init containers, by their requests. */
export interface PodShape {
  readonly containers: readonly Amount[];
  readonly initContainers?: readonly Amount[];
}

/**
 * What the scheduler counts for a pod: per resource, the larger of the sum of
 * its containers' requests and the largest init container's request.
 */
export function effectiveRequest(pod: PodShape): Amount {
  const sum = (list: readonly Amount[], key: keyof Amount) => list.reduce((t, c) => t + c[key], 0);
  const max = (list: readonly Amount[], key: keyof Amount) => list.reduce((t, c) => Math.max(t, c[key]), 0);
  const init = pod.initContainers ?? [];
  return {
    cpuMilli: Math.max(sum(pod.containers, "cpuMilli"), max(init, "cpuMilli")),
    memoryMiB: Math.max(sum(pod.containers, "memoryMiB"), max(init, "memoryMiB")),
  };
}

/** A workload: its pods' shape and where they run. */
export interface Workload {
  /** `<namespace>/<name>`. */
  readonly name: string;
  readonly pod: PodShape;
  /** `node`: one pod on every node (a DaemonSet); otherwise this many replicas spread over the workers. */
  readonly replicas: number | "node";
}

export interface WorkerLoad extends Amount {
  readonly pods: readonly string[];
}

/**
 * Places every workload over `workers` nodes: one pod of each per-node
 * workload on every worker, and the other pods, largest first, each on the
 * worker with the lowest requested share (the default scheduler's
 * least-allocated scoring), no two replicas of one workload on the same
 * worker while another worker has none.
 */
export function placeOnWorkers(workloads: readonly Workload[], workers: number, capacity: Amount): WorkerLoad[] {
  const load = Array.from({ length: workers }, () => ({ cpuMilli: 0, memoryMiB: 0, pods: [] as string[] }));
  const add = (i: number, name: string, r: Amount) => {
    const w = load[i] as (typeof load)[number];
    w.cpuMilli += r.cpuMilli;
    w.memoryMiB += r.memoryMiB;
    w.pods.push(name);
  };
  for (const w of workloads.filter((x) => x.replicas === "node")) {
    const r = effectiveRequest(w.pod);
    for (let i = 0; i < workers; i += 1) add(i, w.name, r);
  }
  const pods = workloads
    .filter((x) => x.replicas !== "node")
    .flatMap((w) => Array.from({ length: w.replicas as number }, () => ({ name: w.name, request: effectiveRequest(w.pod) })))
    .sort((a, b) => b.request.cpuMilli - a.request.cpuMilli || b.request.memoryMiB - a.request.memoryMiB || a.name.localeCompare(b.name));
  const share = (i: number) => {
    const w = load[i] as (typeof load)[number];
    return (w.cpuMilli / capacity.cpuMilli + w.memoryMiB / capacity.memoryMiB) / 2;
  };
  for (const p of pods) {
    const indices = [...load.keys()];
    const fewest = Math.min(...indices.map((i) => (load[i] as (typeof load)[number]).pods.filter((n) => n === p.name).length));
    const candidates = indices.filter((i) => (load[i] as (typeof load)[number]).pods.filter((n) => n === p.name).length === fewest);
    const best = candidates.reduce((a, b) => (share(b) < share(a) ? b : a));
    add(best, p.name, p.request);
  }
  return load;
}
