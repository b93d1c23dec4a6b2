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

/** The outputs of a deployed stack as name → value. */
export function readStackOutputs(stack: StackName, projectRoot = process.cwd()): Record<string, unknown> {
  const dir = path.join(projectRoot, "cdktf.out", "stacks", stack);
  if (!existsSync(dir)) {
    throw new StackOutputsError(`${dir} does not exist: run \`npx cdktf synth\` (or deploy) first`);
  }
  let raw: string;
  try {
    raw = execFileSync("terraform", ["output", "-json"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { code?: string; stderr?: string };
    if (err.code === "ENOENT") throw new StackOutputsError("terraform is not installed or not on PATH (https://developer.hashicorp.com/terraform/install)");
    throw new StackOutputsError(`terraform output failed in ${dir}: ${err.stderr ?? String(e)}`);
  }
  const parsed = JSON.parse(raw) as Record<string, { value: unknown }>;
  if (Object.keys(parsed).length === 0) throw new StackOutputsError(`stack ${stack} has no outputs: is it deployed?`);
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value]));
}
