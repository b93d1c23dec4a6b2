/**
 * The user-data as cloud-init itself reads it: each node's user-data, exactly
 * as synthesized, goes through cloud-init's own user-data processor (the
 * Debian package's Python module), which must find one shell script, the
 * rendered bootstrap — in particular, that it unpacks the control plane's
 * gzip-compressed user-data.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { oneResource, synthApp } from "./helpers/synth";
import { describeWith, requireTool } from "./helpers/tools";

const FIXTURES = path.join(__dirname, "fixtures", "cluster");
const cloudInit = requireTool("cloud-init", "cloud-init");

/** The interpreter cloud-init runs with (its script's shebang), which has its Python modules. */
function cloudInitPython(bin: string): string {
  const shebang = readFileSync(bin, "utf8").split("\n")[0] ?? "";
  const interpreter = shebang.replace(/^#!\s*/, "").split(/\s+/)[0];
  if (!interpreter) throw new Error(`${bin} has no shebang line`);
  return interpreter;
}

function cloudInitParts(python: string, userDataBase64: string): Array<{ type: string; text: string }> {
  const out = execFileSync(python, [path.join(FIXTURES, "cloud-init-parts.py")], { input: userDataBase64, encoding: "utf8" });
  return out.trim().split("\n").map((line) => JSON.parse(line) as { type: string; text: string });
}

describeWith(cloudInit)("user-data as cloud-init reads it", () => {
  // Read in a hook, not the describe body: a skipped describe still runs its body.
  let python = "";
  beforeAll(() => {
    python = cloudInitPython(cloudInit as string);
  });
  const cluster = synthApp().stack("cluster");

  it("unpacks the control plane's gzip-compressed user-data into one shell script: the rendered bootstrap", () => {
    const userData = oneResource(cluster, "aws_instance", "control-plane").user_data_base64 as string;
    const parts = cloudInitParts(python, userData);
    expect(parts.map((p) => p.type)).toEqual(["text/x-shellscript"]);
    expect(parts[0]?.text).toBe(readFileSync(path.join(FIXTURES, "control-plane.user-data.sh"), "utf8"));
  });

  it("reads the workers' launch-template user-data as one shell script: the rendered bootstrap", () => {
    const userData = oneResource(cluster, "aws_launch_template", "workers").user_data as string;
    const parts = cloudInitParts(python, userData);
    expect(parts.map((p) => p.type)).toEqual(["text/x-shellscript"]);
    expect(parts[0]?.text).toBe(readFileSync(path.join(FIXTURES, "worker.user-data.sh"), "utf8"));
  });

  it("would not run a part that is not a script (the check can fail)", () => {
    const notAScript = Buffer.from("echo this has no shebang\n").toString("base64");
    expect(cloudInitParts(python, notAScript).map((p) => p.type)).not.toContain("text/x-shellscript");
  });
});
