/**
 * `npm run verify`: arguments, where credentials and addresses come from,
 * and the exit code. Exit 0 only when every check passed; 1 when any failed
 * or was skipped; 2 when the command itself was used wrongly.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, durationSeconds, loadConfig, type Config } from "../lib/config";
import { PORTS } from "../lib/ports";
import { DEPLOY_FIRST, OUTPUT_NAMES, readStackOutputs as readOutputsWithTerraform, StackNotDeployedError } from "../lib/stack-outputs";
import type { StackName } from "../lib/stack-base";
import { CHECKS } from "./checks";
import { GrafanaApi } from "./grafana";
import { VerifyError } from "./http";
import { credentialsFromKubeconfig, KubeApi, type KubeCredentials } from "./kube";
import { PrometheusApi } from "./prometheus";
import { JaegerApi, LokiApi } from "./observability";
import { progressResult, progressStart, renderJson, renderTable, summary } from "./report";
import { runChecks } from "./runner";
import type { Check, CheckContext, Expectations, Maybe } from "./types";

/** The metric-latency KPI: mesh metrics collected within 5 s. The freshness bound adds one scrape interval. */
export const METRICS_LATENCY_KPI_SECONDS = 5;
export const DEFAULT_TIMEOUT_SECONDS = 20;
export const DEFAULT_CERT_MIN_DAYS = 30;
/** Environment variable that supplies the Grafana admin password instead of the platform stack's output. */
export const GRAFANA_PASSWORD_ENV = "VERIFY_GRAFANA_PASSWORD";

export const USAGE = `Usage: npm run verify -- [options]

Checks a deployed platform end to end and prints one line per check.
Credentials come from the deployed stacks' outputs (terraform output) unless given.

Options:
  --json                 print results as JSON on stdout (progress stays on stderr)
  --timeout <seconds>    time limit per check (default ${DEFAULT_TIMEOUT_SECONDS})
  --kubeconfig <path>    use this kubeconfig instead of the cluster stack's outputs
  --context <name>       kubeconfig context (default: its current-context)
  --bookinfo-url <url>   Bookinfo base URL (default: the cluster stack's bookinfo_url output)
  --cert-min-days <n>    fail when a Linkerd certificate has fewer days left (default ${DEFAULT_CERT_MIN_DAYS})
  -h, --help             show this help

Environment:
  ${GRAFANA_PASSWORD_ENV}   Grafana admin password (default: the platform stack's grafana_admin_password output)
  K8S_MESH_*                the same configuration overrides used at deploy time (expected node count, weights...)

Exit status: 0 all checks passed; 1 a check failed or was skipped; 2 usage or configuration error,
or no deployed cluster (and no --kubeconfig).
`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  /** Reads a deployed stack's outputs; `terraform output` by default. */
  readonly readStackOutputs?: (stack: StackName, root: string) => Record<string, unknown>;
  readonly now?: () => Date;
  /** The checks to run (all of them by default). */
  readonly checks?: readonly Check[];
}

export interface CliOptions {
  readonly json: boolean;
  readonly timeoutMs: number;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly bookinfoUrl?: string;
  readonly certMinDays: number;
  readonly help: boolean;
}

export class UsageError extends Error {}

function positiveNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: got ${JSON.stringify(raw)}; allowed: a number greater than 0`);
  return n;
}

function urlFlag(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const u = new URL(raw);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    return raw;
  } catch {
    throw new UsageError(`${flag}: got ${JSON.stringify(raw)}; allowed: an http(s) URL such as http://203.0.113.10:${PORTS.bookinfoNodePort.port}/productpage`);
  }
}

export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        json: { type: "boolean", default: false },
        timeout: { type: "string" },
        kubeconfig: { type: "string" },
        context: { type: "string" },
        "bookinfo-url": { type: "string" },
        "cert-min-days": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.context !== undefined && v.kubeconfig === undefined) throw new UsageError("--context: needs --kubeconfig");
  return {
    json: v.json ?? false,
    timeoutMs: positiveNumber("--timeout", v.timeout, DEFAULT_TIMEOUT_SECONDS) * 1000,
    ...(v.kubeconfig !== undefined ? { kubeconfig: v.kubeconfig } : {}),
    ...(v.context !== undefined ? { context: v.context } : {}),
    ...(urlFlag("--bookinfo-url", v["bookinfo-url"]) !== undefined ? { bookinfoUrl: v["bookinfo-url"] } : {}),
    certMinDays: positiveNumber("--cert-min-days", v["cert-min-days"], DEFAULT_CERT_MIN_DAYS),
    help: v.help ?? false,
  };
}

/** The project's configuration, as `cdktf synth` sees it (cdktf.json context + K8S_MESH_* variables). */
export function projectConfig(cwd: string, env: Record<string, string | undefined>): Config {
  let appContext: Record<string, unknown>;
  try {
    const cdktf = JSON.parse(readFileSync(path.join(cwd, "cdktf.json"), "utf8")) as { context?: Record<string, unknown> };
    appContext = cdktf.context ?? {};
  } catch {
    appContext = {}; // no cdktf.json here: defaults and environment only
  }
  return loadConfig({ appContext, env });
}

export function expectations(config: Config, opts: Pick<CliOptions, "certMinDays">): Expectations {
  return {
    nodeCount: 1 + config.cluster.workers.count,
    reviewsWeights: config.apps.reviewsWeights,
    freshnessBoundSeconds: METRICS_LATENCY_KPI_SECONDS + durationSeconds(config.platform.monitoring.meshScrapeInterval),
    certMinDays: opts.certMinDays,
    tracing: config.platform.tracing.enabled,
    logs: config.platform.logs.enabled,
  };
}

function ok<T>(value: T): Maybe<T> {
  return { ok: true, value };
}
function missing<T>(reason: string): Maybe<T> {
  return { ok: false, reason };
}

/** Reads one stack's outputs once, remembering a failure as the reason. */
function outputsReader(io: CliIo) {
  const cache = new Map<StackName, Maybe<Record<string, unknown>>>();
  const read = io.readStackOutputs ?? ((stack: StackName, root: string) => readOutputsWithTerraform(stack, root));
  return (stack: StackName): Maybe<Record<string, unknown>> => {
    let got = cache.get(stack);
    if (!got) {
      try {
        got = ok(read(stack, io.cwd));
      } catch (e) {
        got = missing(`cannot read the ${stack} stack's outputs: ${(e as Error).message}`);
      }
      cache.set(stack, got);
    }
    return got;
  };
}

function outputString(outputs: Maybe<Record<string, unknown>>, stack: string, name: string): Maybe<string> {
  if (!outputs.ok) return missing(outputs.reason);
  const v = outputs.value[name];
  if (typeof v !== "string" || v === "") return missing(`the ${stack} stack has no output ${name}`);
  return ok(v);
}

/** Builds the clients from flags, environment and stack outputs; each one missing carries its reason. */
export function buildContext(opts: CliOptions, config: Config, io: CliIo): CheckContext {
  const outputs = outputsReader(io);
  const names = OUTPUT_NAMES.cluster;

  let creds: Maybe<KubeCredentials>;
  if (opts.kubeconfig) {
    try {
      creds = ok(credentialsFromKubeconfig(path.resolve(io.cwd, opts.kubeconfig), opts.context));
    } catch (e) {
      creds = missing((e as Error).message);
    }
  } else {
    const cluster = outputs("cluster");
    const parts = [names.apiServerUrl, names.caCertificatePem, names.clientCertificatePem, names.clientKeyPem].map((n) => outputString(cluster, "cluster", n));
    const bad = parts.find((p) => !p.ok);
    creds =
      bad && !bad.ok
        ? missing(`${bad.reason} (or pass --kubeconfig)`)
        : ok({
            server: (parts[0] as { value: string }).value,
            ca: (parts[1] as { value: string }).value,
            cert: (parts[2] as { value: string }).value,
            key: (parts[3] as { value: string }).value,
            source: "cluster stack outputs",
          });
  }
  const kube = creds.ok ? ok(new KubeApi(creds.value)) : missing<KubeApi>(creds.reason);

  const nodeUrl = (port: number): Maybe<string> => {
    const ip = outputString(outputs("cluster"), "cluster", names.controlPlanePublicIp);
    return ip.ok ? ok(`http://${ip.value}:${port}`) : ip;
  };
  const pick = (flag: string | undefined, flagName: string, output: string, port: number): Maybe<string> => {
    if (flag) return ok(flag);
    const fromOutput = outputString(outputs("cluster"), "cluster", output);
    if (fromOutput.ok) return fromOutput;
    const fromIp = nodeUrl(port);
    return fromIp.ok ? fromIp : missing(`${fromOutput.reason} (or pass ${flagName})`);
  };
  const bookinfoUrl = pick(opts.bookinfoUrl, "--bookinfo-url", names.bookinfoUrl, config.nodePorts.bookinfo);

  const envPassword = io.env[GRAFANA_PASSWORD_ENV];
  const password: Maybe<string> =
    envPassword !== undefined && envPassword !== ""
      ? ok(envPassword)
      : (() => {
          const p = outputString(outputs("platform"), "platform", OUTPUT_NAMES.platform.grafanaAdminPassword);
          return p.ok ? p : missing(`${p.reason} (or set ${GRAFANA_PASSWORD_ENV})`);
        })();

  return {
    kube,
    prometheus: kube.ok ? ok(new PrometheusApi(kube.value)) : missing(kube.reason),
    jaeger: kube.ok ? ok(new JaegerApi(kube.value)) : missing(kube.reason),
    loki: kube.ok ? ok(new LokiApi(kube.value)) : missing(kube.reason),
    grafana: kube.ok ? ok(new GrafanaApi(kube.value, password)) : missing(kube.reason),
    bookinfoUrl,
    expect: expectations(config, opts),
    now: io.now ?? (() => new Date()),
    facts: {},
  };
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let opts: CliOptions;
  let config: Config;
  try {
    opts = parseCli(argv);
    if (opts.help) {
      io.stdout(USAGE);
      return 0;
    }
    config = projectConfig(io.cwd, io.env);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`verify: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof VerifyError) {
      io.stderr(`verify: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  // Each stack's outputs are read once (terraform output takes a moment).
  const read = io.readStackOutputs ?? readOutputsWithTerraform;
  const memo = new Map<StackName, () => Record<string, unknown>>();
  const readOnce = (stack: StackName, root: string): Record<string, unknown> => {
    if (!memo.has(stack)) {
      try {
        const value = read(stack, root);
        memo.set(stack, () => value);
      } catch (e) {
        memo.set(stack, () => {
          throw e;
        });
      }
    }
    return (memo.get(stack) as () => Record<string, unknown>)();
  };
  if (!opts.kubeconfig) {
    // Without a cluster every check would fail for the same reason: say it once.
    try {
      readOnce("cluster", io.cwd);
    } catch (e) {
      if (e instanceof StackNotDeployedError) {
        io.stderr(`verify: no deployed cluster: ${e.message}; ${DEPLOY_FIRST}, or pass --kubeconfig <file>\n`);
        return 2;
      }
    }
  }
  const ctx = buildContext(opts, config, { ...io, readStackOutputs: readOnce });
  const checks = (io.checks ?? CHECKS).filter((c) => c.appliesTo?.(ctx.expect) ?? true);
  const results = await runChecks(checks, ctx, {
    timeoutMs: opts.timeoutMs,
    onStart: (c, i, n) => io.stderr(progressStart(c, i, n) + "\n"),
    onResult: (r, i, n) => io.stderr(progressResult(r, i, n) + "\n"),
  });
  io.stdout(opts.json ? renderJson(results) : renderTable(results));
  return summary(results).ok ? 0 : 1;
}
