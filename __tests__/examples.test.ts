/**
 * The ready-made configurations in examples/: each is a complete cdktf.json
 * that differs from the project's own only in its context, is accepted by the
 * configuration rules, and synthesizes stacks that Terraform's own loader
 * accepts.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { loadConfig } from "../lib/config";
import { loadWithTerraform, stackDirectory, STACKS, synthToDirectory } from "./helpers/terraform";
import { describeWith, requireTool, TERRAFORM_INSTALL_HINT } from "./helpers/tools";

const ROOT = path.resolve(__dirname, "..");
const DIR = path.join(ROOT, "examples");
const terraform = requireTool("terraform", "terraform", TERRAFORM_INSTALL_HINT);

type CdktfJson = { context?: Record<string, unknown> } & Record<string, unknown>;
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as CdktfJson;
const EXAMPLES = readdirSync(DIR).filter((f) => f.endsWith(".cdktf.json")).sort();
const PROJECT = read(path.join(ROOT, "cdktf.json"));

it("has the examples the README promises, each described in examples/README.md", () => {
  expect(EXAMPLES).toEqual(["bigger-workers.cdktf.json", "default-demo.cdktf.json", "public-demo.cdktf.json", "s3-backend.cdktf.json", "us-east-1.cdktf.json"]);
  const readme = readFileSync(path.join(DIR, "README.md"), "utf8");
  for (const e of EXAMPLES) expect(readme).toContain(`| \`${e}\` |`);
});

describe.each(EXAMPLES)("%s", (file) => {
  const example = read(path.join(DIR, file));

  it("is the project's cdktf.json with another context", () => {
    const { context: _ours, ...rest } = PROJECT;
    const { context: _theirs, ...exampleRest } = example;
    expect(exampleRest).toEqual(rest);
  });

  it("passes every configuration rule, read the way the app reads it", () => {
    expect(() => loadConfig({ appContext: example.context ?? {}, env: {} })).not.toThrow();
  });

  describeWith(terraform)("synthesized", () => {
    let outdir = "";
    beforeAll(() => {
      outdir = synthToDirectory((example.context?.config ?? {}) as Record<string, unknown>);
    });
    afterAll(() => {
      if (outdir) rmSync(outdir, { recursive: true, force: true });
    });

    it.each(STACKS)("%s: Terraform loads it without errors", (stack) => {
      expect(loadWithTerraform(terraform as string, stackDirectory(outdir, stack)).errors).toEqual([]);
    });
  });
});

it("an example that breaks a rule is caught (the check can fail)", () => {
  expect(() => loadConfig({ appContext: { config: { access: { allowPublicNodePorts: "yes" } } }, env: {} })).toThrow(/access.allowPublicNodePorts/);
});
