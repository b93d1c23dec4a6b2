/**
 * What a deploy prints last: the apps stack's `next_steps` output, and the
 * cluster's URL outputs saying when they start to answer. The text is
 * evaluated by Terraform itself from the expression the stack synthesizes.
 */
import { App, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { nextStepsText, NEXT_STEPS_OUTPUT } from "../stacks/apps/next-steps";
import { evaluateTemplates } from "./helpers/condition-eval";
import { itWith, requireTool, TERRAFORM_INSTALL_HINT } from "./helpers/tools";
import { synthApp, testConfig } from "./helpers/synth";

const terraform = requireTool("terraform", "terraform", TERRAFORM_INSTALL_HINT);

describe("after deploy", () => {
  const app = synthApp({ nodePorts: { bookinfo: 30081, grafana: 30301 } });

  it("the apps stack, deployed last, outputs next_steps from the cluster's API address", () => {
    const out = app.stack("apps").tf.output?.[NEXT_STEPS_OUTPUT];
    expect(out?.sensitive).toBeFalsy();
    expect(String(out?.value)).toContain("data.terraform_remote_state");
    expect(String(out?.value)).toContain(":30081/productpage");
  });

  itWith(terraform)("Terraform renders the text with the control plane's address", () => {
    const stack = new TerraformStack(Testing.app() as App, "probe");
    new TerraformOutput(stack, "text", { value: nextStepsText(testConfig({ nodePorts: { bookinfo: 30081, grafana: 30301 } }), "https://203.0.113.10:6443") });
    const value = (JSON.parse(Testing.synth(stack)) as { output: { text: { value: string } } }).output.text.value;
    expect(evaluateTemplates(terraform as string, { text: value }).text).toBe(
      [
        "Bookinfo:   http://203.0.113.10:30081/productpage",
        "Grafana:    http://203.0.113.10:30301  (user admin; password: terraform -chdir=cdktf.out/stacks/platform output -raw grafana_admin_password)",
        "kubectl:    npm run kubeconfig && export KUBECONFIG=$PWD/kubeconfig && kubectl get pods -A",
        "Check all:  npm run verify",
        "",
      ].join("\n"),
    );
  }, 60_000);

  it("the cluster's Bookinfo and Grafana URLs say they answer only once those stacks are deployed", () => {
    const outputs = app.stack("cluster").tf.output ?? {};
    expect(outputs.bookinfo_url?.description).toBe("Bookinfo productpage (NodePort); answers once the apps stack is deployed");
    expect(outputs.grafana_url?.description).toBe("Grafana (NodePort); answers once the platform stack is deployed");
  });
});
