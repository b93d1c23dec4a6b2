/**
 * Stacks synthesized once per Jest run and shared by every test file.
 *
 * Most test files look at the same default app, and synthesizing it costs
 * about a second of CPU per file. `__tests__/global-setup.ts` creates a fresh,
 * empty directory for each run and names it in SYNTH_CACHE_ENV; the first
 * file that synthesizes a given config writes the stacks' JSON there, and
 * later files read it back. Nothing survives the run, so no file ever reads
 * what other code produced. The key also carries a digest of every file that
 * synthesis reads (lib/, stacks/, main.ts, package-lock.json), so a
 * directory reused by hand cannot serve stacks from older code either.
 *
 * Without SYNTH_CACHE_ENV (mutation testing leaves the global setup out,
 * because every mutant changes what synthesis produces) nothing is shared.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export const SYNTH_CACHE_ENV = "TEST_SHARED_STACKS_DIR";

const ROOT = path.join(__dirname, "..", "..");
const INPUTS = ["lib", "stacks", "main.ts", "package-lock.json"];

function addInput(hash: ReturnType<typeof createHash>, root: string, relative: string): void {
  const full = path.join(root, relative);
  if (statSync(full).isDirectory()) {
    for (const name of readdirSync(full).sort()) addInput(hash, root, path.join(relative, name));
  } else {
    hash.update(`${relative}\0`).update(readFileSync(full)).update("\0");
  }
}

/** A digest of every file under `inputs` (paths relative to `root`): names and contents. */
export function sourceDigest(root: string, inputs: readonly string[]): string {
  const hash = createHash("sha256");
  for (const input of inputs) addInput(hash, root, input);
  return hash.digest("hex");
}

let projectDigest: string | undefined;

function entryPath(kind: string, key: string): string | undefined {
  const dir = process.env[SYNTH_CACHE_ENV];
  if (!dir) return undefined;
  const name = createHash("sha256").update(`${kind}\0${(projectDigest ??= sourceDigest(ROOT, INPUTS))}\0${key}`).digest("hex");
  return path.join(dir, `${name}.json`);
}

/** The stacks' JSON another test file of this run synthesized for `key`, if any. */
export function readShared(kind: string, key: string): Record<string, string> | undefined {
  const file = entryPath(kind, key);
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  return JSON.parse(text) as Record<string, string>;
}

/** Shares the stacks' JSON for `key` with the rest of the run (written whole, then renamed into place). */
export function writeShared(kind: string, key: string, stacks: Record<string, string>): void {
  const file = entryPath(kind, key);
  if (!file) return;
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, JSON.stringify(stacks));
  renameSync(partial, file);
}
