/**
 * Reading a deployed stack's outputs from outside Terraform (the kubeconfig
 * writer, the verify command). Works with any backend: it asks
 * `terraform output -json` in the stack's synthesized folder.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import type { StackName } from "./stack-base";

/** Output names other tools read; the stacks create outputs with exactly these names. */
export const OUTPUT_NAMES = {
  cluster: {
    apiServerUrl: "api_server_url",
    caCertificatePem: "ca_certificate_pem",
    clientCertificatePem: "client_certificate_pem",
    clientKeyPem: "client_key_pem",
    controlPlanePublicIp: "control_plane_public_ip",
    bookinfoUrl: "bookinfo_url",
    grafanaUrl: "grafana_url",
    controlPlanePrivateIp: "control_plane_private_ip",
    workerPrivateIps: "worker_private_ips",
    workerPublicIps: "worker_public_ips",
  },
  platform: {
    grafanaAdminPassword: "grafana_admin_password",
  },
} as const;

export class StackOutputsError extends Error {}

/** The stack has nothing deployed from this folder: never synthesized, never initialized, or destroyed. */
export class StackNotDeployedError extends StackOutputsError {}

/** What to do when nothing is deployed, for one-line messages. */
export const DEPLOY_FIRST = "deploy first with `npm run deploy -- '*'` (see the README)";

/** The first `Error: ...` line of Terraform's diagnostics, without colour or box drawing. */
export function terraformErrorLine(stderr: string): string {
  const lines = stderr.replace(/\u001b\[[0-9;]*m/g, "").split("\n").map((l) => l.replace(/^[\s│╷╵]+/, "").trim());
  return lines.find((l) => l.startsWith("Error: ")) ?? lines.find((l) => l !== "") ?? "no error text";
}

/** The outputs of a deployed stack as name → value. */
export function readStackOutputs(stack: StackName, projectRoot = process.cwd()): Record<string, unknown> {
  const dir = path.join(projectRoot, "cdktf.out", "stacks", stack);
  const shown = path.relative(process.cwd(), dir) || dir;
  if (!existsSync(dir)) {
    throw new StackNotDeployedError(`${shown} does not exist, so the ${stack} stack was not synthesized or deployed from this folder`);
  }
  let raw: string;
  try {
    raw = execFileSync("terraform", ["output", "-json", "-no-color"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { code?: string; stderr?: string };
    if (err.code === "ENOENT") throw new StackOutputsError("terraform is not installed or not on PATH (https://developer.hashicorp.com/terraform/install)");
    const line = terraformErrorLine(err.stderr ?? String(e));
    if (/Backend initialization required/.test(line)) {
      throw new StackNotDeployedError(`the ${stack} stack's Terraform folder ${shown} was never initialized, so nothing was deployed from it`);
    }
    throw new StackOutputsError(`terraform output failed in ${shown}: ${line}`);
  }
  const parsed = JSON.parse(raw) as Record<string, { value: unknown }>;
  if (Object.keys(parsed).length === 0) throw new StackNotDeployedError(`the ${stack} stack has no outputs (not deployed yet, or destroyed)`);
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value]));
}
