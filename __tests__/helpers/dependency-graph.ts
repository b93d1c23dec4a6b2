/**
 * The dependency graph Terraform builds from one stack's synthesized JSON:
 * an edge from a block to every block it names in `depends_on` and to every
 * block an expression of it refers to (`${type.name...}`, `${data.type.name...}`,
 * `${local.name}`). Terraform creates a block only after everything it reaches
 * through these edges, and destroys it before them.
 *
 * Provider configurations are left out: they order nothing among resources
 * (they wait only for the remote state they read).
 */
import type { SynthesizedStack } from "./synth";

export interface DependencyGraph {
  /** Every block's address: `type.name`, `data.type.name`, `output.name`, `local.name`. */
  readonly addresses: ReadonlySet<string>;
  /** Direct edges: address → the addresses it waits for. */
  readonly edges: ReadonlyMap<string, ReadonlySet<string>>;
  /** Everything `from` waits for, directly or through other blocks. */
  reachable(from: string): Set<string>;
  /** Whether `from` waits for `to` (directly or transitively). */
  waitsFor(from: string, to: string): boolean;
  /** The names of the remote-state outputs `from` reads, directly or transitively (`<data source>.outputs.<name>`). */
  remoteOutputsRead(from: string): Set<string>;
}

/** Every string inside a value, wherever it sits (nested objects and lists). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value !== null && typeof value === "object") Object.values(value).forEach((v) => strings(v, out));
  return out;
}

/** The text of every `${...}` expression in a string (nested braces included). */
function expressions(text: string): string[] {
  const found: string[] = [];
  let i = text.indexOf("${");
  while (i >= 0) {
    let depth = 0;
    let j = i + 1;
    for (; j < text.length; j++) {
      if (text[j] === "{") depth++;
      else if (text[j] === "}" && --depth === 0) break;
    }
    found.push(text.slice(i + 2, j));
    i = text.indexOf("${", j);
  }
  return found;
}

/** Candidate addresses an expression names (filtered against the stack's blocks by the caller). */
const ADDRESS = /(?<![\w.-])(data\.[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*|local\.[A-Za-z_][\w-]*|[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)/g;

/** `<data source>.outputs.<name>` of a remote state read. */
const REMOTE_OUTPUT = /(data\.terraform_remote_state\.[A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g;

export function dependencyGraph(stack: SynthesizedStack): DependencyGraph {
  const tf = stack.tf;
  const blocks = new Map<string, unknown>();
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) blocks.set(`${type}.${name}`, body);
  }
  for (const [type, byName] of Object.entries(tf.data ?? {})) {
    for (const [name, body] of Object.entries(byName)) blocks.set(`data.${type}.${name}`, body);
  }
  for (const [name, body] of Object.entries(tf.output ?? {})) blocks.set(`output.${name}`, body);
  for (const [name, body] of Object.entries(tf.locals ?? {})) blocks.set(`local.${name}`, body);

  const addresses = new Set(blocks.keys());
  const edges = new Map<string, Set<string>>();
  const remoteReads = new Map<string, Set<string>>();
  for (const [address, body] of blocks) {
    const to = new Set<string>();
    const reads = new Set<string>();
    const { depends_on: dependsOn, ...rest } = (body ?? {}) as Record<string, unknown>;
    for (const d of (dependsOn as string[] | undefined) ?? []) {
      // Resources list plain addresses; outputs list them as `${address}`.
      const plain = d.startsWith("${") ? d.slice(2, -1) : d;
      if (!addresses.has(plain)) throw new Error(`${address} depends on ${d}, which the stack does not declare`);
      to.add(plain);
    }
    for (const expression of strings(rest).flatMap(expressions)) {
      for (const m of expression.matchAll(ADDRESS)) if (addresses.has(m[1] as string) && m[1] !== address) to.add(m[1] as string);
      for (const m of expression.matchAll(REMOTE_OUTPUT)) reads.add(m[2] as string);
    }
    edges.set(address, to);
    remoteReads.set(address, reads);
  }

  function reachable(from: string): Set<string> {
    if (!addresses.has(from)) throw new Error(`no block ${from} in the stack`);
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      for (const d of edges.get(next) ?? []) {
        if (!seen.has(d)) {
          seen.add(d);
          stack.push(d);
        }
      }
    }
    return seen;
  }

  return {
    addresses,
    edges,
    reachable,
    waitsFor: (from, to) => {
      if (!addresses.has(to)) throw new Error(`no block ${to} in the stack`);
      return reachable(from).has(to);
    },
    remoteOutputsRead: (from) => new Set([from, ...reachable(from)].flatMap((a) => [...(remoteReads.get(a) ?? [])])),
  };
}
