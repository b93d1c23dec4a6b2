/**
 * Writes a kubeconfig for the deployed cluster from the cluster stack's
 * outputs: `npm run kubeconfig [-- path]` (default ./kubeconfig, mode 0600).
 * Then: `export KUBECONFIG=$PWD/kubeconfig; kubectl get nodes`.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { OUTPUT_NAMES, readStackOutputs, StackOutputsError } from "../lib/stack-outputs";
import { STACK_NAMES } from "../lib/stack-base";
import { ConfigError, loadConfig } from "../lib/config";

export interface KubeconfigInput {
  readonly clusterName: string;
  readonly apiServerUrl: string;
  readonly caCertificatePem: string;
  readonly clientCertificatePem: string;
  readonly clientKeyPem: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** The kubeconfig text: one cluster, one admin user, one current context. */
export function buildKubeconfig(input: KubeconfigInput): string {
  const user = `${input.clusterName}-admin`;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: input.clusterName, cluster: { server: input.apiServerUrl, "certificate-authority-data": b64(input.caCertificatePem) } }],
    users: [{ name: user, user: { "client-certificate-data": b64(input.clientCertificatePem), "client-key-data": b64(input.clientKeyPem) } }],
    contexts: [{ name: input.clusterName, context: { cluster: input.clusterName, user } }],
    "current-context": input.clusterName,
  });
}

/** Picks the kubeconfig's inputs out of `terraform output -json` values, naming any that are missing. */
export function kubeconfigInputFromOutputs(outputs: Record<string, unknown>, clusterName: string): KubeconfigInput {
  const names = OUTPUT_NAMES.cluster;
  const get = (name: string): string => {
    const v = outputs[name];
    if (typeof v !== "string" || v === "") throw new StackOutputsError(`the cluster stack has no output ${name}: is it deployed?`);
    return v;
  };
  return {
    clusterName,
    apiServerUrl: get(names.apiServerUrl),
    caCertificatePem: get(names.caCertificatePem),
    clientCertificatePem: get(names.clientCertificatePem),
    clientKeyPem: get(names.clientKeyPem),
  };
}

/** Writes the file readable by its owner only (it holds the admin key), also when it already exists. */
export function writeKubeconfig(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

function main(): void {
  const file = path.resolve(process.argv[2] ?? "kubeconfig");
  try {
    // The same configuration the app synthesizes from: cdktf.json context, then K8S_MESH_* variables.
    const cdktfJson = JSON.parse(readFileSync("cdktf.json", "utf8")) as { context?: Record<string, unknown> };
    const config = loadConfig({ appContext: cdktfJson.context ?? {}, env: process.env });
    const outputs = readStackOutputs(STACK_NAMES.cluster);
    writeKubeconfig(file, buildKubeconfig(kubeconfigInputFromOutputs(outputs, config.name)));
  } catch (e) {
    if (e instanceof StackOutputsError || e instanceof ConfigError) {
      console.error(`kubeconfig: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  console.log(`wrote ${file} (mode 0600)\n  export KUBECONFIG=${file}\n  kubectl get nodes`);
}

if (require.main === module) main();
