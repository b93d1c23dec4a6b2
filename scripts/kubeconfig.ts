/**
 * Writes a kubeconfig for the deployed cluster from the cluster stack's
 * outputs: `npm run kubeconfig [-- path]` (default ./kubeconfig, mode 0600).
 * Then: `export KUBECONFIG=$PWD/kubeconfig; kubectl get nodes`.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { DEPLOY_FIRST, OUTPUT_NAMES, readStackOutputs, StackNotDeployedError, StackOutputsError } from "../lib/stack-outputs";
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

export const USAGE = `Usage: npm run kubeconfig -- [path]

Writes a kubeconfig for the deployed cluster, built from the cluster stack's outputs,
to path (default ./kubeconfig), readable by its owner only. Then:
  export KUBECONFIG=$PWD/kubeconfig
  kubectl get nodes

Options:
  -h, --help   show this help

Exit status: 0 written; 1 the cluster stack's outputs could not be read;
2 usage or configuration error, or no deployed cluster.
`;

export interface KubeconfigIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  /** Reads a deployed stack's outputs; `terraform output` by default. */
  readonly readStackOutputs?: typeof readStackOutputs;
}

/** `npm run kubeconfig`: returns the exit status. */
export function runKubeconfig(argv: readonly string[], io: KubeconfigIo): number {
  if (argv.includes("-h") || argv.includes("--help")) {
    io.stdout(USAGE);
    return 0;
  }
  const unknown = argv.find((a) => a.startsWith("-"));
  if (unknown !== undefined || argv.length > 1) {
    const what = unknown !== undefined ? `unknown option ${JSON.stringify(unknown)}` : `got ${argv.length} paths; allowed: one`;
    io.stderr(`kubeconfig: ${what}\n\n${USAGE}`);
    return 2;
  }
  const file = path.resolve(io.cwd, argv[0] ?? "kubeconfig");
  try {
    // The same configuration the app synthesizes from: cdktf.json context, then K8S_MESH_* variables.
    const cdktfJson = JSON.parse(readFileSync(path.join(io.cwd, "cdktf.json"), "utf8")) as { context?: Record<string, unknown> };
    const config = loadConfig({ appContext: cdktfJson.context ?? {}, env: io.env });
    const outputs = (io.readStackOutputs ?? readStackOutputs)(STACK_NAMES.cluster, io.cwd);
    writeKubeconfig(file, buildKubeconfig(kubeconfigInputFromOutputs(outputs, config.name)));
  } catch (e) {
    if (e instanceof StackNotDeployedError) {
      io.stderr(`kubeconfig: no deployed cluster: ${e.message}; ${DEPLOY_FIRST}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      io.stderr(`kubeconfig: ${e.message}\n`);
      return 2;
    }
    if (e instanceof StackOutputsError) {
      io.stderr(`kubeconfig: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  io.stdout(`wrote ${file} (mode 0600)\n  export KUBECONFIG=${file}\n  kubectl get nodes\n`);
  return 0;
}

if (require.main === module) {
  process.exitCode = runKubeconfig(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
  });
}
