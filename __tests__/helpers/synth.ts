/**
 * Test fixtures: synthesize the whole App (cross-stack references resolved)
 * from config overrides, and read resources out of the result.
 */
import type { TerraformStack } from "cdktf";
import type { ProjectStacks } from "../../main";
import type { NetworkStack } from "../../stacks/network/network-stack";
import { loadConfig, type Config } from "../../lib/config";
import { withPlainStackTraces } from "./plain-stack-traces";
import { readShared, writeShared } from "./synth-cache";

// cdktf, the providers and the stacks are loaded on first use: a file whose
// stacks another file already synthesized never needs them.
const cdktf = (): typeof import("cdktf") => require("cdktf") as typeof import("cdktf");
const main = (): typeof import("../../main") => require("../../main") as typeof import("../../main");

export interface SynthesizedStack {
  /** The stack's Terraform JSON as Testing.synth returns it, parsed. */
  readonly tf: TerraformJson;
}

export interface TerraformJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; sensitive?: boolean; description?: string }>;
  provider?: Record<string, unknown[]>;
  terraform?: Record<string, unknown>;
  locals?: Record<string, unknown>;
}

export interface SynthesizedApp {
  readonly config: Config;
  readonly stacks: ProjectStacks;
  stack(name: keyof ProjectStacks): SynthesizedStack;
}

/** Config from defaults plus overrides given as cdktf.json context would give them. */
export function testConfig(context: unknown = {}): Config {
  return loadConfig({ context, env: {} });
}

const cache = new Map<string, SynthesizedApp>();

/** Builds every stack for `config` and prepares them (cross-stack references become outputs and remote state). */
function buildStacks(config: Config, tamper?: (stacks: ProjectStacks) => void): ProjectStacks {
  return withPlainStackTraces(() => {
    const app = cdktf().Testing.app({ stackTraces: false });
    const stacks = main().buildApp(app, config);
    tamper?.(stacks);
    for (const s of Object.values(stacks) as TerraformStack[]) s.prepareStack();
    return stacks;
  });
}

function synthesizedApp(config: Config, json: Record<string, string>, stacks: () => ProjectStacks): SynthesizedApp {
  const synthesized = new Map<string, SynthesizedStack>(Object.entries(json).map(([name, j]) => [name, { tf: JSON.parse(j) as TerraformJson }]));
  let built: ProjectStacks | undefined;
  return {
    config,
    get stacks() {
      return (built ??= stacks());
    },
    stack(name) {
      const s = synthesized.get(name);
      if (!s) throw new Error(`no stack ${name}`);
      return s;
    },
  };
}

/**
 * Synthesizes every stack for the given overrides. Without `tamper` the
 * result is cached within the test file and shared with the run's other
 * files (helpers/synth-cache.ts); `stacks` of a shared result are the same
 * stacks built again on first use. `tamper` may add to the stacks before
 * synthesis, to build a deliberately bad stack that a check must catch; such
 * a result is never cached.
 */
export function synthApp(context: unknown = {}, tamper?: (stacks: ProjectStacks) => void): SynthesizedApp {
  const key = JSON.stringify(context);
  const hit = tamper ? undefined : cache.get(key);
  if (hit) return hit;

  const config = testConfig(context);
  const shared = tamper ? undefined : readShared("app", key);
  if (shared) {
    const result = synthesizedApp(config, shared, () => buildStacks(config));
    cache.set(key, result);
    return result;
  }

  const stacks = buildStacks(config, tamper);
  const json: Record<string, string> = {};
  withPlainStackTraces(() => {
    for (const [name, s] of Object.entries(stacks) as Array<[string, TerraformStack]>) json[name] = cdktf().Testing.synth(s);
  });
  const result = synthesizedApp(config, json, () => stacks);
  if (!tamper) {
    cache.set(key, result);
    writeShared("app", key, json);
  }
  return result;
}

/** All resources of one Terraform type in a stack, keyed by their logical id. */
export function resourcesOf(stack: SynthesizedStack, type: string): Record<string, Record<string, unknown>> {
  return stack.tf.resource?.[type] ?? {};
}

/** All data sources of one type in a stack. */
export function dataOf(stack: SynthesizedStack, type: string): Record<string, Record<string, unknown>> {
  return stack.tf.data?.[type] ?? {};
}

/** A resource with its Terraform address (`type.id`), the form `depends_on` lists. */
export interface AddressedResource {
  readonly address: string;
  readonly body: Record<string, unknown>;
}

/** The one resource of `type` that `matches` selects; fails unless exactly one does, naming `what`. */
function exactlyOne(
  stack: SynthesizedStack,
  type: string,
  what: string,
  matches: (id: string, body: Record<string, unknown>) => boolean,
): AddressedResource {
  const found = Object.entries(resourcesOf(stack, type)).filter(([id, body]) => matches(id, body));
  if (found.length !== 1) {
    throw new Error(`expected one ${type} ${what}, found ${found.length}: ${found.map(([id]) => id).join(", ")}`);
  }
  const [id, body] = found[0] as [string, Record<string, unknown>];
  return { address: `${type}.${id}`, body };
}

/** The only resource of a type whose logical id contains `idPart`, with its address; fails unless exactly one matches. */
export function onlyResource(stack: SynthesizedStack, type: string, idPart = ""): AddressedResource {
  return exactlyOne(stack, type, `matching "${idPart}"`, (id) => id.includes(idPart));
}

/** The only resource of a type whose logical id contains `idPart`; fails unless exactly one matches. */
export function oneResource(stack: SynthesizedStack, type: string, idPart = ""): Record<string, unknown> {
  return onlyResource(stack, type, idPart).body;
}

/** The helm_release with this Helm release name, with its address; fails unless exactly one has it. */
export function releaseNamed(stack: SynthesizedStack, name: string): AddressedResource {
  return exactlyOne(stack, "helm_release", `named ${name}`, (_id, body) => body.name === name);
}

/** The kubernetes_namespace_v1 with this Kubernetes name, with its address; fails unless exactly one has it. */
export function namespaceNamed(stack: SynthesizedStack, name: string): AddressedResource {
  return exactlyOne(stack, "kubernetes_namespace_v1", `named ${name}`, (_id, body) => (body.metadata as { name?: string } | undefined)?.name === name);
}

/**
 * The network stack alone (it depends on no other stack): a quarter of the
 * cost of the whole app, for the tests that look at nothing else.
 */
export function synthNetwork(context: unknown = {}, tamper?: (network: NetworkStack) => void): SynthesizedStack {
  const key = JSON.stringify(context);
  let json = tamper ? undefined : readShared("network", key)?.network;
  if (json === undefined) {
    const { Testing } = cdktf();
    const { NetworkStack: Network } = require("../../stacks/network/network-stack") as typeof import("../../stacks/network/network-stack");
    json = withPlainStackTraces(() => {
      const network = new Network(Testing.app({ stackTraces: false }), testConfig(context));
      tamper?.(network);
      return Testing.synth(network);
    });
    if (!tamper) writeShared("network", key, { network: json });
  }
  return { tf: JSON.parse(json) as TerraformJson };
}
