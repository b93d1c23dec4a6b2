/**
 * The `next_steps` output of the apps stack, the last one a deploy applies:
 * so the end of `npm run deploy -- '*'` says where Bookinfo and Grafana are
 * and which commands come next (kubeconfig, the Grafana password, verify).
 */
import { Construct } from "constructs";
import { Fn, TerraformOutput } from "cdktf";
import type { Config } from "../../lib/config";
import { OUTPUT_NAMES } from "../../lib/stack-outputs";
import { STACK_NAMES } from "../../lib/stack-base";

export const NEXT_STEPS_OUTPUT = "next_steps";

export interface NextStepsProps {
  readonly config: Config;
  /** `https://<control plane address>:<port>`, from the cluster stack. */
  readonly apiServerUrl: string;
}

/** The text, with the control plane's address taken from the API server URL. */
export function nextStepsText(config: Config, apiServerUrl: string): string {
  const host = Fn.element(Fn.split(":", Fn.trimprefix(apiServerUrl, "https://")), 0);
  const password = `terraform -chdir=cdktf.out/stacks/${STACK_NAMES.platform} output -raw ${OUTPUT_NAMES.platform.grafanaAdminPassword}`;
  return [
    `Bookinfo:   http://${host}:${config.nodePorts.bookinfo}/productpage`,
    `Grafana:    http://${host}:${config.nodePorts.grafana}  (user admin; password: ${password})`,
    "kubectl:    npm run kubeconfig && export KUBECONFIG=$PWD/kubeconfig && kubectl get pods -A",
    "Check all:  npm run verify",
    "",
  ].join("\n");
}

export class NextSteps extends Construct {
  constructor(scope: Construct, id: string, props: NextStepsProps) {
    super(scope, id);
    new TerraformOutput(this, NEXT_STEPS_OUTPUT, {
      value: nextStepsText(props.config, props.apiServerUrl),
      description: "Where Bookinfo and Grafana are, and the commands for the kubeconfig, the Grafana password and verify",
    }).overrideLogicalId(NEXT_STEPS_OUTPUT);
  }
}
