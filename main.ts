/**
 * The CDKTF app: configuration in, stacks out.
 *
 *   network → cluster → platform → apps
 *
 * `buildApp` is what tests call with their own App and config.
 */
import { App } from "cdktf";
import { CONTEXT_KEY, ConfigError, loadConfig, type Config } from "./lib/config";
import { NetworkStack } from "./stacks/network/network-stack";
import { ClusterStack } from "./stacks/cluster/cluster-stack";
import { PlatformStack } from "./stacks/platform/platform-stack";
import { AppsStack } from "./stacks/apps/apps-stack";

export interface ProjectStacks {
  readonly network: NetworkStack;
  readonly cluster: ClusterStack;
  readonly platform: PlatformStack;
  readonly apps: AppsStack;
}

export function buildApp(app: App, config: Config): ProjectStacks {
  const network = new NetworkStack(app, config);
  const cluster = new ClusterStack(app, config, network.outputs);
  const platform = new PlatformStack(app, config, cluster.outputs);
  const apps = new AppsStack(app, config, cluster.outputs, platform.outputs);
  return { network, cluster, platform, apps };
}

function main(): void {
  const app = new App();
  let config: Config;
  try {
    config = loadConfig({ context: app.node.tryGetContext(CONTEXT_KEY), env: process.env });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  buildApp(app, config);
  app.synth();
}

if (require.main === module) main();
