/**
 * Generates the key list of a Helm chart from its published values.yaml
 * (and those of its subcharts), for lib/chart-values.ts.
 *
 *   npx tsx scripts/chart-keys.ts stacks/platform/chart-keys/specs/<chart>.yaml [more specs] \
 *     [--git-root DIR] [--out DIR]
 *
 * A spec names the chart, its version, and for the chart and every subchart
 * the GitHub repository, tag, chart directory and key prefix; plus the
 * free-form parts of the values (wildcards) and the keys the values file only
 * mentions in comments (extra keys), each with a reason.
 *
 * The files are read with git from local clones of those repositories:
 * `<git-root>/<owner>+<name>/repo`, `<git-root>/<owner>+<name>` or
 * `<git-root>/<name>` (bare or not; default git root /work/.mirror, or
 * $CHART_KEYS_GIT_ROOT). Clone one with
 * `git clone --bare https://github.com/<owner>/<name> <git-root>/<owner>+<name>`.
 * Nothing read from those repositories is copied: the output holds only key
 * paths and where they came from.
 *
 * Besides the values file, the chart's templates are scanned for
 * `.Values.a.b` references (added as extra keys when the values file lacks
 * them) and for values passed whole through `toYaml` (added as wildcards).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, parseDocument, isMap, isSeq, isScalar, type Node } from "yaml";
import { z } from "zod";
import { chartKeysFileName, formatPath, ITEM, matchesPrefix, parsePath, type ChartKeys, type ChartKeySource, type ReasonedPath } from "../lib/chart-values";

const reasoned = z.object({ path: z.string().min(1), reason: z.string().min(1) }).strict();

const specSchema = z
  .object({
    chart: z.string().min(1),
    version: z.string().min(1),
    sources: z
      .array(
        z
          .object({
            repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
            tag: z.string().min(1),
            chartDir: z.string().min(1),
            prefix: z.string().default(""),
            /** Version the parent requires: exact, or with `*` for any part. */
            expectVersion: z.string().min(1),
            /** Scan templates for `.Values` reads; off for library charts, whose templates read their includer's values. */
            scanTemplates: z.boolean().default(true),
          })
          .strict(),
      )
      .min(1),
    wildcards: z.array(reasoned).default([]),
    extraKeys: z.array(reasoned).default([]),
    /** Paths the generator would take as free-form (empty default, toYaml) whose entries are in fact read by name. */
    structured: z.array(reasoned).default([]),
    /** Keys whose sub-keys have the same shape as another key's (e.g. per-component resources). */
    sameShape: z.array(z.object({ path: z.string(), like: z.string(), reason: z.string().min(1) }).strict()).default([]),
  })
  .strict();

type Spec = z.infer<typeof specSchema>;

interface Args {
  specs: string[];
  gitRoot: string;
  outDir: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    specs: [],
    gitRoot: process.env.CHART_KEYS_GIT_ROOT ?? "/work/.mirror",
    outDir: path.join(__dirname, "..", "stacks", "platform", "chart-keys"),
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === "--git-root" || arg === "--out") {
      const value = argv[++i];
      if (!value) throw new Error(`${arg} needs a directory`);
      if (arg === "--git-root") args.gitRoot = value;
      else args.outDir = value;
    } else if (arg.startsWith("--")) {
      throw new Error(`unknown option ${arg}; allowed: --git-root DIR, --out DIR`);
    } else {
      args.specs.push(arg);
    }
  }
  if (args.specs.length === 0) throw new Error("usage: chart-keys.ts <spec.yaml>... [--git-root DIR] [--out DIR]");
  return args;
}

function gitDirFor(root: string, repository: string): string {
  const [owner, name] = repository.split("/") as [string, string];
  const candidates = [path.join(root, `${owner}+${name}`, "repo"), path.join(root, `${owner}+${name}`), path.join(root, name)];
  for (const dir of candidates) {
    if (!fs.existsSync(dir)) continue;
    const dotGit = path.join(dir, ".git");
    return fs.existsSync(dotGit) ? dotGit : dir;
  }
  throw new Error(`no clone of ${repository} under ${root} (looked for ${candidates.join(", ")})`);
}

function git(gitDir: string, ...args: string[]): string {
  return execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

function versionMatches(actual: string, expected: string): boolean {
  const pattern = new RegExp(`^${expected.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^.]+")}$`);
  return pattern.test(actual);
}

/** Prefix a chart-relative path; `global` is shared by parent and subcharts. */
function prefixed(prefix: string[], segments: string[]): string[] {
  return segments[0] === "global" ? segments : [...prefix, ...segments];
}

interface Collected {
  keys: Set<string>;
  autoWildcards: Map<string, string>;
  templateKeys: Map<string, string>;
}

/** Walks a parsed values document, recording every key path; empty maps and lists are free-form. */
function collectValues(node: Node | null | undefined, at: string[], prefix: string[], out: Collected): void {
  if (isMap(node)) {
    if (node.items.length === 0 && at.length > 0) {
      out.autoWildcards.set(formatPath([...prefixed(prefix, at), "*"]), "empty map in values.yaml: entries are the user's");
      return;
    }
    for (const pair of node.items) {
      const keyNode = pair.key;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const next = [...at, key];
      out.keys.add(formatPath(prefixed(prefix, next)));
      collectValues(pair.value as Node | null, next, prefix, out);
    }
  } else if (isSeq(node)) {
    if (node.items.length === 0) {
      out.autoWildcards.set(formatPath([...prefixed(prefix, at), ITEM]), "empty list in values.yaml: items are the user's");
      return;
    }
    const item = [...at, ITEM];
    for (const element of node.items) {
      if (isMap(element) || isSeq(element)) {
        out.keys.add(formatPath(prefixed(prefix, item)));
        collectValues(element as Node, item, prefix, out);
      }
    }
  }
}

const VALUES_REF = /\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g;
const TOYAML_DIRECT = /toYaml\s+\(?\s*\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g;
const WITH_VALUES = /\{\{-?\s*with\s+\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*-?\}\}/g;
const BLOCK_BOUNDARY = /\{\{-?\s*(end|with|range|define|else)\b/;
const TOYAML_DOT = /toYaml\s+\.(?=[\s)|}])/;

function scanTemplates(gitDir: string, commit: string, chartDir: string, prefix: string[], out: Collected): void {
  const files = git(gitDir, "ls-tree", "-r", "--name-only", commit, `${chartDir}/templates`)
    .split("\n")
    .filter((f) => f !== "");
  for (const file of files) {
    const text = git(gitDir, "show", `${commit}:${file}`);
    const where = path.posix.relative(chartDir, file);
    for (const match of text.matchAll(VALUES_REF)) {
      const segments = match[1]!.slice(1).split(".");
      for (let n = 1; n <= segments.length; n += 1) {
        const key = formatPath(prefixed(prefix, segments.slice(0, n)));
        if (!out.templateKeys.has(key)) out.templateKeys.set(key, `read by ${where}`);
      }
    }
    for (const match of text.matchAll(TOYAML_DIRECT)) {
      const key = formatPath(prefixed(prefix, match[1]!.slice(1).split(".")));
      out.autoWildcards.set(key, `passed whole through toYaml in ${where}`);
    }
    for (const match of text.matchAll(WITH_VALUES)) {
      const rest = text.slice(match.index! + match[0].length);
      const boundary = BLOCK_BOUNDARY.exec(rest);
      const body = boundary ? rest.slice(0, boundary.index) : rest;
      if (TOYAML_DOT.test(body)) {
        const key = formatPath(prefixed(prefix, match[1]!.slice(1).split(".")));
        out.autoWildcards.set(key, `passed whole through toYaml in ${where}`);
      }
    }
  }
}

function generate(spec: Spec, gitRoot: string): ChartKeys {
  const collected: Collected = { keys: new Set(), autoWildcards: new Map(), templateKeys: new Map() };
  const sources: ChartKeySource[] = [];

  for (const source of spec.sources) {
    const gitDir = gitDirFor(gitRoot, source.repository);
    const commit = git(gitDir, "rev-parse", `${source.tag}^{commit}`).trim();
    const chartYaml = parseYaml(git(gitDir, "show", `${commit}:${source.chartDir}/Chart.yaml`)) as { version?: string };
    const chartVersion = String(chartYaml.version ?? "");
    if (!versionMatches(chartVersion, source.expectVersion)) {
      throw new Error(
        `${source.repository}@${source.tag} ${source.chartDir}/Chart.yaml has version ${chartVersion}, expected ${source.expectVersion}`,
      );
    }
    const valuesPath = `${source.chartDir}/values.yaml`;
    const document = parseDocument(git(gitDir, "show", `${commit}:${valuesPath}`), { merge: true });
    if (document.errors.length > 0) throw new Error(`${source.repository}@${source.tag} ${valuesPath}: ${document.errors[0]!.message}`);
    const prefix = source.prefix === "" ? [] : parsePath(source.prefix);
    if (prefix.length > 0) collected.keys.add(formatPath(prefix));
    // Resolve aliases and merge keys into plain nodes before walking.
    const resolved = parseDocument(JSON.stringify(document.toJS({ maxAliasCount: -1 }) ?? {}));
    collectValues(resolved.contents, [], prefix, collected);
    if (source.scanTemplates) scanTemplates(gitDir, commit, source.chartDir, prefix, collected);
    sources.push({ repository: source.repository, path: valuesPath, tag: source.tag, commit, chartVersion, prefix: source.prefix });
  }

  const keys = collected.keys;
  const extraKeys = new Map<string, string>();
  for (const extra of spec.extraKeys) extraKeys.set(formatPath(parsePath(extra.path)), extra.reason);
  for (const same of spec.sameShape) {
    const like = formatPath(parsePath(same.like));
    const target = parsePath(same.path);
    const below = [...keys].filter((k) => k.startsWith(`${like}.`) || k.startsWith(`${like}[]`));
    if (below.length === 0) throw new Error(`sameShape ${same.path}: ${same.like} has no sub-keys`);
    extraKeys.set(formatPath(target), same.reason);
    for (const k of below) {
      extraKeys.set(formatPath([...target, ...parsePath(k).slice(parsePath(like).length)]), `same shape as ${same.like}`);
    }
  }
  for (const [key, reason] of collected.templateKeys) if (!keys.has(key) && !extraKeys.has(key)) extraKeys.set(key, reason);
  for (const key of extraKeys.keys()) keys.delete(key);

  const wildcards = new Map<string, string>(collected.autoWildcards);
  for (const structured of spec.structured) {
    const at = formatPath(parsePath(structured.path));
    const dropped = [...wildcards.keys()].filter((w) => w === at || w.startsWith(`${at}.`) || w.startsWith(`${at}[]`));
    if (dropped.length === 0) throw new Error(`structured ${structured.path}: no wildcard at or below it to drop`);
    for (const w of dropped) wildcards.delete(w);
  }
  for (const wildcard of spec.wildcards) wildcards.set(formatPath(parsePath(wildcard.path)), wildcard.reason);
  // A pattern inside another one adds nothing.
  for (const pattern of [...wildcards.keys()]) {
    const segments = parsePath(pattern);
    if ([...wildcards.keys()].some((w) => w !== pattern && matchesPrefix(parsePath(w), segments))) wildcards.delete(pattern);
  }

  const sortByPath = (entries: Iterable<[string, string]>): ReasonedPath[] =>
    [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, reason]) => ({ path: p, reason }));

  return {
    header: {
      chart: spec.chart,
      version: spec.version,
      generatedAt: new Date().toISOString(),
      generator: "scripts/chart-keys.ts",
      sources,
      wildcards: sortByPath(wildcards),
      extraKeys: sortByPath(extraKeys),
    },
    keys: [...keys].sort(),
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(args.outDir, { recursive: true });
  for (const specFile of args.specs) {
    const parsed = specSchema.safeParse(parseYaml(fs.readFileSync(specFile, "utf8")));
    if (!parsed.success) throw new Error(`${specFile}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const keys = generate(parsed.data, args.gitRoot);
    const out = path.join(args.outDir, chartKeysFileName(keys.header.chart, keys.header.version));
    fs.writeFileSync(out, `${JSON.stringify(keys, null, 2)}\n`);
    console.log(
      `${out}: ${keys.keys.length} keys, ${keys.header.extraKeys.length} extra keys, ${keys.header.wildcards.length} wildcards`,
    );
  }
}

main();
