/**
 * Builds the validated configuration: defaults, then `cdktf.json` context
 * (key `config`), then environment variables, then validation. Every problem
 * is collected and reported in one round (ConfigError), before a single file
 * is written.
 *
 * Environment variables: every setting has one, `K8S_MESH_` followed by its
 * path in upper snake case, with `__` between levels:
 *   cluster.workers.count      → K8S_MESH_CLUSTER__WORKERS__COUNT=3
 *   access.adminCidrs          → K8S_MESH_ACCESS__ADMIN_CIDRS=203.0.113.7/32,198.51.100.0/24
 *   apps.reviewsWeights        → K8S_MESH_APPS__REVIEWS_WEIGHTS='{"v1":0,"v3":1}'
 * Numbers and booleans are parsed, lists are comma-separated, maps are JSON
 * (a map given anywhere replaces the default map as a whole),
 * and an empty value means null for settings that may be unset.
 *
 * The former prefix `MESH_` still works for a setting's name, with a warning
 * naming the new variable. Other `MESH_*` variables are not this project's
 * (the prefix is too common to claim) and are ignored, unless they look like
 * a misspelled setting (a `__` level separator, or one letter away from a
 * setting's name: MESH_REGON, but not MESH_HOME or MESH_DEBUG).
 */
import deepmerge from "deepmerge";
import { DEFAULT_CONFIG } from "./defaults";
import type { $ZodRawIssue } from "zod/v4/core";
import { Config, configSchema, crossFieldProblems } from "./schema";
import { closest, nameDistance, nearMiss } from "./suggest";

export const ENV_PREFIX = "K8S_MESH_";
/** The former prefix: still read for a setting's variable, with a warning. */
export const LEGACY_ENV_PREFIX = "MESH_";
export const CONTEXT_KEY = "config";

/** Context keys CDKTF itself sets or reads (cdktfVersion, cdktfRelativeModules, @cdktf/... flags). */
export function isCdktfContextKey(key: string): boolean {
  return key.startsWith("cdktf") || key.startsWith("@cdktf/");
}

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
  /**
   * The whole CDKTF context (cdktf.json `context` plus CDKTF's own keys). When
   * given, `context` defaults to its `config` key, and any other key that is
   * not CDKTF's own is a problem (a setting put beside `config`, a misspelled
   * `config`), since it would otherwise be ignored without a word.
   */
  readonly appContext?: Readonly<Record<string, unknown>>;
  /** Environment variables (process.env in the app). */
  readonly env?: Record<string, string | undefined>;
  /** Where warnings go (a deprecated variable name); default: stderr. */
  readonly warn?: (message: string) => void;
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
    return raw.trim() !== "" && Number.isFinite(n) ? { value: n } : { problem: `${variable}: got ${got}; must be a number` };
  }
  if (typeof def === "boolean") {
    if (raw === "true" || raw === "false") return { value: raw === "true" };
    return { problem: `${variable}: got ${got}; must be true or false` };
  }
  if (def !== null && typeof def === "object") {
    try {
      return { value: JSON.parse(raw) as Json };
    } catch {
      return { problem: `${variable}: got ${got}; must be a JSON object such as {"key":"value"}` };
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
  return path.reduce<string>((s, key) => {
    if (typeof key === "number") return `${s}[${key}]`;
    if (!/^[A-Za-z0-9_-]+$/.test(String(key))) return `${s}[${JSON.stringify(String(key))}]`;
    return s ? `${s}.${String(key)}` : String(key);
  }, "");
}

const mergeOptions: deepmerge.Options = {
  arrayMerge: (_target: unknown[], source: unknown[]) => source,
  customMerge: (key: string) => (MAP_SETTINGS.has(key) ? (_target: unknown, source: unknown) => source : undefined),
};

/** Loads and validates the configuration; throws ConfigError listing every problem. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const problems: string[] = [];
  /** Settings whose given value is already reported: rules that read them are skipped. */
  const invalidPaths = new Set<string>();

  if (sources.appContext) problems.push(...contextKeyProblems(sources.appContext));

  let context = sources.context ?? sources.appContext?.[CONTEXT_KEY] ?? {};
  if (context === null || typeof context !== "object" || Array.isArray(context)) {
    problems.push(`context.${CONTEXT_KEY}: got ${JSON.stringify(context)}; must be an object of settings, such as {"region": "us-east-1"}`);
    context = {};
  }

  const env = readEnv(sources.env ?? {}, sources.warn ?? ((m) => console.warn(`warning: ${m}`)));
  problems.push(...env.problems);
  env.invalid.forEach((p) => invalidPaths.add(p));

  const merged = deepmerge.all([DEFAULT_CONFIG, context as object, env.values], mergeOptions) as Record<string, unknown>;
  const result = configSchema.safeParse(merged, { error: projectMessage });
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          const where = formatPath([...issue.path, key]);
          invalidPaths.add(where);
          problems.push(`${where}: ${notASetting(key, Object.keys(getPath(DEFAULT_CONFIG, issue.path) ?? {}), issue.path)}`);
        }
        continue;
      }
      const where = formatPath(issue.path);
      invalidPaths.add(where);
      problems.push(`${where || "(root)"}: got ${JSON.stringify(getPath(merged, issue.path))}; ${issue.message}${unsetHint(issue.path)}`);
    }
  }

  // Rules across settings run too, each unless it reads a setting reported above.
  const data = result.success ? result.data : (merged as Config);
  for (const p of crossFieldProblems(data, [...invalidPaths])) {
    problems.push(`${p.path}: got ${JSON.stringify(getPath(data, pathKeys(p.path)))}; ${p.message}`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return data;
}

/** Problems with the CDKTF context beside `config`. */
function contextKeyProblems(appContext: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(appContext)) {
    if (key === CONTEXT_KEY || isCdktfContextKey(key)) continue;
    const setting = settingNamed(key);
    if (setting) {
      problems.push(`context.${key}: settings go inside context.${CONTEXT_KEY}; did you mean context.${CONTEXT_KEY}.${setting}?`);
    } else if (nearMiss(key, [CONTEXT_KEY])) {
      problems.push(`context.${key}: not a context key of this project; did you mean context.${CONTEXT_KEY}?`);
    } else {
      problems.push(`context.${key}: not a context key of this project; settings go inside context.${CONTEXT_KEY} (CDKTF's own keys start with cdktf)`);
    }
  }
  return problems;
}

/** The shortest dotted path of a setting or group of settings named `key`, e.g. `workers` → `cluster.workers`. */
function settingNamed(key: string): string | undefined {
  const found: string[][] = [];
  const walk = (node: unknown, prefix: string[]) => {
    if (node === null || typeof node !== "object" || Array.isArray(node) || MAP_SETTINGS.has(prefix[prefix.length - 1] ?? "")) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === key) found.push([...prefix, k]);
      walk(v, [...prefix, k]);
    }
  };
  walk(DEFAULT_CONFIG, []);
  found.sort((a, b) => a.length - b.length);
  return found[0]?.join(".");
}

/** A key that is not a setting: the near miss if there is one, otherwise every key allowed there. */
function notASetting(key: string, allowed: readonly string[], parent: readonly PropertyKey[]): string {
  const meant = nearMiss(key, allowed);
  if (meant !== undefined) return `not a setting; did you mean ${formatPath([...parent, meant])}?`;
  return `not a setting; allowed here: ${allowed.join(", ")}`;
}

/** For a setting that may be unset: how to unset it. */
function unsetHint(path: readonly PropertyKey[]): string {
  if (path.length === 0 || getPath(DEFAULT_CONFIG, path) !== null) return "";
  const keys = path.filter((k): k is string => typeof k === "string");
  return `; to leave it unset, use null (or an empty ${envName(keys)})`;
}

/**
 * The project's wording for the schema's checks that carry no message of
 * their own (a value of the wrong type, a plain min/max). `load.ts` puts the
 * setting and the value in front.
 */
function projectMessage(issue: $ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      const input = issue.input;
      switch (issue.expected) {
        case "number":
          return typeof input === "string" && input.trim() !== "" && Number.isFinite(Number(input))
            ? "must be a number, written without quotes"
            : "must be a number";
        case "boolean":
          return typeof input === "string" && (input === "true" || input === "false") ? "must be true or false, written without quotes" : "must be true or false";
        case "string":
          return "must be a text string in quotes";
        case "array":
          return "must be a list, such as [\"a\", \"b\"]";
        case "object":
        case "record":
          return "must be an object of settings, such as {\"key\": \"value\"}";
        default:
          return `must be of type ${issue.expected}`;
      }
    }
    case "too_small": {
      const unit = issue.origin === "string" ? " characters" : issue.origin === "array" ? " entries" : "";
      return issue.inclusive === false ? `must be more than ${issue.minimum}${unit}` : `must be at least ${issue.minimum}${unit}`;
    }
    case "too_big": {
      const unit = issue.origin === "string" ? " characters" : issue.origin === "array" ? " entries" : "";
      return issue.inclusive === false ? `must be less than ${issue.maximum}${unit}` : `must be at most ${issue.maximum}${unit}`;
    }
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_key":
      return issue.issues[0]?.message ?? "must have keys of the allowed form";
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    default:
      return "is not an allowed value (see docs/configuration.md)";
  }
}

interface EnvResult {
  readonly values: Record<string, unknown>;
  readonly problems: string[];
  /** Settings whose variable could not be read. */
  readonly invalid: string[];
}

/** Reads the settings' environment variables (current and former prefix). */
function readEnv(env: Record<string, string | undefined>, warn: (message: string) => void): EnvResult {
  const out: EnvResult = { values: {}, problems: [], invalid: [] };
  const known = new Map(settingPaths().map((s) => [envName(s.path), s]));
  const suffixes = [...known.keys()].map((n) => n.slice(ENV_PREFIX.length));
  const read = (variable: string, name: string, raw: string) => {
    const setting = known.get(name);
    if (!setting) return;
    const parsed = parseEnvValue(variable, raw, setting.default);
    if (parsed.problem !== undefined) {
      out.problems.push(parsed.problem);
      out.invalid.push(formatPath(setting.path));
    } else {
      setPath(out.values, setting.path, parsed.value);
    }
  };

  const entries = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined).sort(([a], [b]) => a.localeCompare(b));
  for (const [variable, raw] of entries) {
    if (variable.startsWith(ENV_PREFIX)) {
      if (known.has(variable)) read(variable, variable, raw);
      else out.problems.push(`${variable}: not a setting; did you mean ${ENV_PREFIX}${closest(variable.slice(ENV_PREFIX.length), suffixes)}?`);
    } else if (variable.startsWith(LEGACY_ENV_PREFIX)) {
      const rest = variable.slice(LEGACY_ENV_PREFIX.length);
      const name = ENV_PREFIX + rest;
      if (known.has(name)) {
        if (env[name] !== undefined) {
          warn(`${variable} is ignored: ${name} is set too (the ${LEGACY_ENV_PREFIX} prefix is deprecated)`);
        } else {
          warn(`${variable}: the ${LEGACY_ENV_PREFIX} prefix is deprecated and will stop working; use ${name}`);
          read(variable, name, raw);
        }
        continue;
      }
      const meant = closest(rest, suffixes);
      if (meant !== undefined && (rest.includes("__") || nameDistance(rest, meant) <= 1)) {
        out.problems.push(`${variable}: not a setting; did you mean ${ENV_PREFIX}${meant}?`);
      }
    }
  }
  return out;
}

/** `a.b[2].c` → ["a", "b", 2, "c"]. */
function pathKeys(path: string): PropertyKey[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] as string)));
}
