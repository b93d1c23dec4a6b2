/**
 * The CDKTF app: configuration in, stacks out.
 *
 *   network → cluster → platform → apps
 *
 * `buildApp` is what tests call with their own App and config.
 */
import { Annotations, App, TerraformStack } from "cdktf";
import { DISABLE_STACK_TRACE_IN_METADATA } from "cdktf/lib/annotations";
import { ConfigError, loadConfig, type Config } from "./lib/config";
import * as path from "node:path";
import type { NetworkStack } from "./stacks/network/network-stack";
import type { ClusterStack } from "./stacks/cluster/cluster-stack";
import type { PlatformStack } from "./stacks/platform/platform-stack";
import type { AppsStack } from "./stacks/apps/apps-stack";
import { prepareLocalState } from "./lib/local-state";
import { STACK_NAMES } from "./lib/stack-base";

export interface ProjectStacks {
  readonly network: NetworkStack;
  readonly cluster: ClusterStack;
  readonly platform: PlatformStack;
  readonly apps: AppsStack;
}

export function buildApp(app: App, config: Config): ProjectStacks {
  // The stacks (and the providers they import) load here, once the configuration is valid:
  // a configuration problem is reported without loading them.
  const { NetworkStack: Network } = require("./stacks/network/network-stack") as typeof import("./stacks/network/network-stack");
  const { ClusterStack: Cluster } = require("./stacks/cluster/cluster-stack") as typeof import("./stacks/cluster/cluster-stack");
  const { PlatformStack: Platform } = require("./stacks/platform/platform-stack") as typeof import("./stacks/platform/platform-stack");
  const { AppsStack: Apps } = require("./stacks/apps/apps-stack") as typeof import("./stacks/apps/apps-stack");
  const network = new Network(app, config);
  const cluster = new Cluster(app, config, network.outputs);
  const platform = new Platform(app, config, cluster.outputs);
  const apps = new Apps(app, config, cluster.outputs, platform.outputs);
  return { network, cluster, platform, apps };
}

/**
 * Run by the cdktf CLI (which sets this variable), the app reports problems as
 * error annotations: the CLI prints each once and stops before Terraform runs.
 * Written to stderr instead, the CLI would echo every line twice (as it
 * arrives, then again in its own error box).
 */
const UNDER_CDKTF_CLI = process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS === "true";

/** Synthesizes only a `config` stack carrying one error annotation per problem. */
export function synthConfigProblems(app: App, problems: readonly string[]): void {
  app.node.setContext(DISABLE_STACK_TRACE_IN_METADATA, true);
  const stack = new TerraformStack(app, "config");
  for (const p of problems) Annotations.of(stack).addError(p);
  app.synth();
}

function main(): void {
  const app = new App();
  const warn = (m: string) => (UNDER_CDKTF_CLI ? console.log(`warning: ${m}`) : console.warn(`warning: ${m}`));
  let config: Config;
  try {
    config = loadConfig({ appContext: app.node.getAllContext() as Record<string, unknown>, env: process.env, warn });
  } catch (e) {
    if (e instanceof ConfigError) {
      if (UNDER_CDKTF_CLI) {
        synthConfigProblems(app, e.problems.map((p) => `invalid configuration: ${p}`));
        return;
      }
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  buildApp(app, config);
  // Private before Terraform writes any state there (lib/local-state.ts).
  if (config.backend.type === "local") prepareLocalState(path.resolve(__dirname, config.backend.directory), Object.values(STACK_NAMES));
  app.synth();
}

if (require.main === module) main();
