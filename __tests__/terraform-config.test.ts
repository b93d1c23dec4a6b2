/**
 * Every synthesized stack, under configurations that switch on every optional
 * branch, is judged by Terraform's own configuration loader and by a walk that
 * resolves every address it mentions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { normalizeStaticReferences, staticReference, TerraformJsonError, terraformLiteral } from "../lib/terraform-json";
import { unresolvedReferences } from "../lib/terraform-addresses";
import { TERRAFORM_CLI, TERRAFORM_PROVIDERS } from "../lib/versions";
import { evaluateTemplates } from "./helpers/condition-eval";
import { CONFIG_VARIANTS } from "./helpers/config-variants";
import { loadWithTerraform, stackDirectory, STACKS, synthToDirectory } from "./helpers/terraform";
import { describeWith, requireTool, TERRAFORM_INSTALL_HINT } from "./helpers/tools";

type Json = Record<string, unknown>;

const terraform = requireTool("terraform", "terraform", TERRAFORM_INSTALL_HINT);

function readStack(outdir: string, stack: string): Json {
  return JSON.parse(readFileSync(path.join(stackDirectory(outdir, stack), "cdk.tf.json"), "utf8")) as Json;
}

/** The provider sources a stack requires (`hashicorp/aws`), which Terraform must reach after loading the configuration. */
function requiredProviders(tf: Json): string[] {
  const required = ((tf.terraform as Json | undefined)?.required_providers ?? {}) as Record<string, { source: string }>;
  return Object.values(required)
    // A source without a namespace ("aws") means hashicorp/aws on the public registry.
    .map((p) => p.source.replace(/^registry\.terraform\.io\//, ""))
    .map((source) => (source.includes("/") ? source : `hashicorp/${source}`))
    .sort();
}

describe("normalizeStaticReferences", () => {
  it("turns the interpolations CDKTF writes into the bare addresses Terraform requires", () => {
    const tf = normalizeStaticReferences({
      output: { url: { value: "${aws_eip.ip.public_ip}", depends_on: ["${time_static.gate}"] } },
      resource: {
        aws_instance: { node: { lifecycle: { replace_triggered_by: ["${time_static.generation}", "terraform_data.x.output"] }, depends_on: ["aws_iam_role.r"] } },
      },
      data: { aws_instances: { workers: { depends_on: ["${time_static.gate}"] } } },
    });
    expect(tf).toEqual({
      output: { url: { value: "${aws_eip.ip.public_ip}", depends_on: ["time_static.gate"] } },
      resource: { aws_instance: { node: { lifecycle: { replace_triggered_by: ["time_static.generation", "terraform_data.x.output"] }, depends_on: ["aws_iam_role.r"] } } },
      data: { aws_instances: { workers: { depends_on: ["time_static.gate"] } } },
    });
  });

  it("refuses an entry Terraform could not read as a single reference, naming the place", () => {
    expect(() => staticReference("${upper(time_static.gate.id)}", "output.url.depends_on[0]")).toThrow(
      new TerraformJsonError('output.url.depends_on[0]: Terraform accepts only a single static reference here (such as "time_static.gate"), got "${upper(time_static.gate.id)}"'),
    );
    expect(() => normalizeStaticReferences({ resource: { aws_instance: { n: { lifecycle: { replace_triggered_by: ["${a.b} ${c.d}"] } } } } })).toThrow(
      /aws_instance\.n\.lifecycle\.replace_triggered_by\[0\]/,
    );
    expect(() => normalizeStaticReferences({ output: { o: { depends_on: [42] } } })).toThrow(/output\.o\.depends_on\[0\]: expected a reference/);
  });
});

describe("unresolvedReferences", () => {
  const declared = {
    resource: {
      time_static: { gate: { triggers: { url: "${aws_eip.ip.public_ip}" } } },
      aws_eip: { ip: {} },
      null_resource: { hook: { provisioner: [{ "local-exec": { environment: { K: '${nonsensitive(self.triggers["key"])}' } } }] } },
    },
    data: { aws_partition: { current: {} } },
    provider: { kubernetes: [{ alias: "cluster" }], aws: [{}] },
    variable: { webhook: {} },
  };

  it("accepts a stack whose references all resolve (functions, self, for-expressions, literals, nested templates)", () => {
    const tf = {
      ...declared,
      output: {
        a: { value: "${[for k, v in time_static.gate.triggers : upper(v)]}", depends_on: ["time_static.gate"] },
        b: { value: '${"arn:${data.aws_partition.current.partition}:iam::aws:policy/x"}' },
        c: { value: "$${not.an_interpolation} %%{ literal } ${var.webhook} ${1.5e3} ${terraform.workspace}" },
      },
    };
    expect(unresolvedReferences(tf)).toEqual([]);
  });

  it("reports every address that is not declared, with where it is used", () => {
    const tf = {
      ...declared,
      resource: {
        ...declared.resource,
        aws_instance: {
          node: {
            ami: "${data.aws_ami.ubuntu.id}",
            depends_on: ["aws_iam_role.missing"],
            lifecycle: { replace_triggered_by: ["time_static.generation"] },
            provider: "kubernetes.other",
          },
        },
      },
      output: {
        url: { value: "${aws_eip.typo.public_ip}", depends_on: ["time_static.gone"] },
        v: { value: "${var.nothing}" },
        script: { value: 'echo "${HOME}" %{ if x }' },
      },
    };
    expect(unresolvedReferences(tf).sort()).toEqual(
      [
        "resource.aws_instance.node.ami: data.aws_ami.ubuntu is not declared in this stack",
        "aws_instance.node.depends_on[0]: aws_iam_role.missing is not declared in this stack",
        "aws_instance.node.lifecycle.replace_triggered_by[0]: time_static.generation is not declared in this stack",
        "aws_instance.node.provider: provider configuration kubernetes.other is not declared in this stack",
        "output.url.value: aws_eip.typo is not declared in this stack",
        "output.url.depends_on[0]: time_static.gone is not declared in this stack",
        "output.v.value: var.nothing is not declared in this stack",
        "output.script.value: HOME is not declared in this stack",
        'output.script.value: Terraform reads "%{ if x }" as a template directive (escape a literal as %%{)',
      ].sort(),
    );
  });
});

describeWith(terraform)("Terraform's configuration loader", () => {
  const tf = terraform as string;

  it("rejects the forms CDKTF emits without the correction (the check can fail)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tf-bad-"));
    try {
      writeFileSync(
        path.join(dir, "main.tf.json"),
        JSON.stringify({
          resource: {
            time_static: { gate: {}, generation: {} },
            aws_instance: { node: { lifecycle: { replace_triggered_by: ["${time_static.generation}"] } } },
          },
          output: { gate: { value: "${time_static.gate.id}", depends_on: ["${time_static.gate}"] } },
        }),
      );
      const verdict = loadWithTerraform(tf, dir);
      expect(verdict.errors.join("\n")).toContain("A single static variable reference is required");
      expect(verdict.errors.join("\n")).toMatch(/Invalid character|Invalid expression/);
      expect(verdict.errors.some((e) => e.includes("replace_triggered_by") || e.includes("main.tf.json:1"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.each(CONFIG_VARIANTS.map((v) => [v.name, v] as const))("config: %s", (_name, variant) => {
    let outdir = "";
    beforeAll(() => {
      outdir = synthToDirectory(variant.context);
    });
    afterAll(() => {
      if (outdir) rmSync(outdir, { recursive: true, force: true });
    });

    it.each(STACKS)("%s: Terraform loads the configuration without errors and reaches the provider lookup", (stack) => {
      const verdict = loadWithTerraform(tf, stackDirectory(outdir, stack));
      expect(verdict.errors).toEqual([]);
      expect(verdict.missingProviders).toEqual(requiredProviders(readStack(outdir, stack)));
    });

    it.each(STACKS)("%s: every address the stack mentions is declared in it", (stack) => {
      expect(unresolvedReferences(readStack(outdir, stack))).toEqual([]);
    });

    it.each(STACKS)("%s: requires the Terraform CLI and provider versions the versions module states", (stack) => {
      const tfBlock = readStack(outdir, stack).terraform as { required_version?: string; required_providers: Record<string, { version: string }> };
      expect(tfBlock.required_version).toBe(`>= ${TERRAFORM_CLI.minimumVersion}`);
      for (const [name, p] of Object.entries(tfBlock.required_providers)) {
        expect([name, p.version]).toEqual([name, TERRAFORM_PROVIDERS[name as keyof typeof TERRAFORM_PROVIDERS]]);
      }
    });
  });

  it("stops at once on a Terraform older than the stacks require (the requirement is read)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tf-version-"));
    try {
      writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ terraform: { required_version: ">= 99.0.0" } }));
      expect(loadWithTerraform(tf, dir).errors.join("\n")).toContain("Unsupported Terraform Core version");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is the version the README asks deployers for", () => {
    const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const asked = [...readme.matchAll(/Terraform (\d+\.\d+) or newer/g)].map((m) => m[1]);
    expect(asked.length).toBeGreaterThan(0);
    for (const v of asked) expect(`${v}.0`).toBe(TERRAFORM_CLI.minimumVersion);
  });
});

describeWith(terraform)("terraformLiteral", () => {
  it("keeps text exactly as written once CDKTF has rendered it and Terraform has evaluated it", () => {
    const text = 'echo "${HOME:-/root}" $${kept} %{ not a directive } \\n\n"quoted"';
    const app = Testing.app();
    const stack = new TerraformStack(app, "literal");
    new TerraformOutput(stack, "escaped", { value: terraformLiteral(text) });
    new TerraformOutput(stack, "plain", { value: text });
    const rendered = (JSON.parse(Testing.synth(stack)) as { output: Record<string, { value: string }> }).output;
    const evaluated = evaluateTemplates(terraform as string, { escaped: String(rendered.escaped?.value) });
    expect(evaluated.escaped).toBe(text);
    // Without it, Terraform reads the text as a template: the check can fail.
    expect(unresolvedReferences({ output: { plain: rendered.plain } })).toEqual(
      expect.arrayContaining([
        "output.plain.value: HOME is not declared in this stack",
        'output.plain.value: Terraform reads "%{ not a directive }" as a template directive (escape a literal as %%{)',
      ]),
    );
  });
});
