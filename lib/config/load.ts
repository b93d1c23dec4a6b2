/**
 * Builds the validated configuration: defaults, then `cdktf.json` context
 * (key `config`), then environment variables, then validation. Any problem
 * stops here, before a single file is written.
 *
 * Environment variables: every setting has one, `MESH_` followed by its path
 * in upper snake case, with `__` between levels:
 *   cluster.workers.count      → MESH_CLUSTER__WORKERS__COUNT=3
 *   access.adminCidrs          → MESH_ACCESS__ADMIN_CIDRS=203.0.113.7/32,198.51.100.0/24
 *   apps.reviewsWeights        → MESH_APPS__REVIEWS_WEIGHTS='{"v1":0,"v3":1}'
 * Numbers and booleans are parsed, lists are comma-separated, maps are JSON
 * (a map given anywhere replaces the default map as a whole),
 * and an empty value means null for settings that may be unset.
 */
import deepmerge from "deepmerge";
import { DEFAULT_CONFIG } from "./defaults";
import { Config, configSchema, crossFieldProblems } from "./schema";

export const ENV_PREFIX = "MESH_";
export const CONTEXT_KEY = "config";

/** Settings whose value is a map: an override replaces the whole map. */
const MAP_SETTINGS = new Set(["tags", "reviewsWeights"]);

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "ConfigError";
  }
}

export interface ConfigSources {
  /** The `config` object from cdktf.json context (or a test's own). */
  readonly context?: unknown;
  /** Environment variables (process.env in the app). */
  readonly env?: Record<string, string | undefined>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `workers.count` → `WORKERS__COUNT`. */
export function envName(path: readonly string[]): string {
  // A unit stays one word: rootVolumeGiB → ROOT_VOLUME_GIB.
  const words = (p: string) => p.replace(/GiB\b/g, "Gib").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  return ENV_PREFIX + path.map(words).join("__");
}

/** Every leaf setting's path, with its default (the variables users can set). */
export function settingPaths(node: unknown = DEFAULT_CONFIG, prefix: string[] = []): Array<{ path: string[]; default: unknown }> {
  const isMap = MAP_SETTINGS.has(prefix[prefix.length - 1] ?? "");
  if (node !== null && typeof node === "object" && !Array.isArray(node) && !isMap) {
    return Object.entries(node).flatMap(([k, v]) => settingPaths(v, [...prefix, k]));
  }
  return [{ path: prefix, default: node }];
}

function parseEnvValue(variable: string, raw: string, def: unknown): { value?: Json; problem?: string } {
  const got = JSON.stringify(raw);
  if (Array.isArray(def)) return { value: raw.trim() === "" ? [] : raw.split(",").map((s) => s.trim()) };
  if (typeof def === "number") {
    const n = Number(raw);
    return raw.trim() !== "" && Number.isFinite(n) ? { value: n } : { problem: `${variable}: got ${got}; allowed: a number` };
  }
  if (typeof def === "boolean") {
    if (raw === "true" || raw === "false") return { value: raw === "true" };
    return { problem: `${variable}: got ${got}; allowed: true or false` };
  }
  if (def !== null && typeof def === "object") {
    try {
      return { value: JSON.parse(raw) as Json };
    } catch {
      return { problem: `${variable}: got ${got}; allowed: a JSON object such as {"key":"value"}` };
    }
  }
  if (def === null) return { value: raw === "" ? null : raw };
  return { value: raw };
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  path.slice(0, -1).forEach((key) => {
    node[key] = (node[key] as Record<string, unknown> | undefined) ?? {};
    node = node[key] as Record<string, unknown>;
  });
  node[path[path.length - 1] as string] = value;
}

function getPath(source: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), source);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, key) => (typeof key === "number" ? `${s}[${key}]` : s ? `${s}.${String(key)}` : String(key)), "");
}

const mergeOptions: deepmerge.Options = {
  arrayMerge: (_target: unknown[], source: unknown[]) => source,
  customMerge: (key: string) => (MAP_SETTINGS.has(key) ? (_target: unknown, source: unknown) => source : undefined),
};

/** Loads and validates the configuration; throws ConfigError listing every problem. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const problems: string[] = [];

  const context = sources.context ?? {};
  if (context === null || typeof context !== "object" || Array.isArray(context)) {
    throw new ConfigError([`context.${CONTEXT_KEY}: got ${JSON.stringify(context)}; allowed: an object of settings`]);
  }

  const fromEnv: Record<string, unknown> = {};
  const known = new Map(settingPaths().map((s) => [envName(s.path), s]));
  for (const [variable, raw] of Object.entries(sources.env ?? {})) {
    if (!variable.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const setting = known.get(variable);
    if (!setting) {
      problems.push(`${variable}: not a setting; allowed: ${[...known.keys()].sort().join(", ")}`);
      continue;
    }
    const parsed = parseEnvValue(variable, raw, setting.default);
    if (parsed.problem) problems.push(parsed.problem);
    else setPath(fromEnv, setting.path, parsed.value);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const merged = deepmerge.all([DEFAULT_CONFIG, context as object, fromEnv], mergeOptions);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          const where = formatPath([...issue.path, key]);
          problems.push(`${where}: not a setting; allowed here: ${Object.keys(getPath(DEFAULT_CONFIG, issue.path) ?? {}).join(", ")}`);
        }
        continue;
      }
      const value = getPath(merged, issue.path);
      problems.push(`${formatPath(issue.path) || "(root)"}: got ${JSON.stringify(value)}; ${issue.message}`);
    }
    throw new ConfigError(problems);
  }

  const cross = crossFieldProblems(result.data);
  if (cross.length > 0) {
    throw new ConfigError(cross.map((p) => `${p.path}: got ${JSON.stringify(getPath(result.data, pathKeys(p.path)))}; ${p.message}`));
  }
  return result.data;
}

/** `a.b[2].c` → ["a", "b", 2, "c"]. */
function pathKeys(path: string): PropertyKey[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] as string)));
}
