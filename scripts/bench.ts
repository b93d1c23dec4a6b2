/**
 * `npm run bench`: how long the app step of `cdktf synth` takes, and how much
 * memory it needs at its peak, as the median of several runs.
 *
 *   npm run bench                          # this project
 *   npm run bench -- --runs 7              # more runs
 *   npm run bench -- --reference ../ref    # and another CDKTF app, side by side
 *
 * Each run executes the app command from cdktf.json exactly as `cdktf synth`
 * does (in the app's folder, with CDKTF_OUTDIR set), under GNU time, which
 * reports the wall time and the peak resident memory of the process tree's
 * largest process.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const GNU_TIME = "/usr/bin/time";

interface Sample {
  readonly seconds: number;
  readonly peakMiB: number;
}

interface Options {
  readonly runs: number;
  readonly reference?: string;
}

const USAGE = `Usage: npm run bench -- [--runs N] [--reference <folder>]

Measures the app step of \`cdktf synth\` (wall time and peak memory, median of N runs).

Options:
  --runs N              runs per app, 1-50 (default 5)
  --reference <folder>  also measure the CDKTF app in that folder (it has a cdktf.json), side by side
  -h, --help            show this help

Needs GNU time (/usr/bin/time). Exit status: 0 measured; 1 a run failed; 2 usage error.
`;

function usage(message: string): never {
  console.error(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  let runs = 5;
  let reference: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === "-h" || arg === "--help") {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg === "--runs") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 50) usage(`--runs: got ${JSON.stringify(value)}; allowed: a whole number from 1 to 50`);
      runs = n;
      i++;
    } else if (arg === "--reference") {
      if (!value || !existsSync(path.join(value, "cdktf.json"))) usage(`--reference: got ${JSON.stringify(value)}; allowed: a folder with a cdktf.json`);
      reference = path.resolve(value);
      i++;
    } else {
      usage(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return reference === undefined ? { runs } : { runs, reference };
}

function appCommand(dir: string): string {
  const cdktf = JSON.parse(readFileSync(path.join(dir, "cdktf.json"), "utf8")) as { app?: string };
  if (!cdktf.app) throw new Error(`${dir}/cdktf.json has no "app" command`);
  return cdktf.app;
}

function measure(dir: string, command: string): Sample {
  const outdir = mkdtempSync(path.join(tmpdir(), "bench-synth-"));
  try {
    const result = spawnSync(GNU_TIME, ["-f", "BENCH %e %M", "sh", "-c", command], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
    });
    const line = result.stderr.split("\n").find((l) => l.startsWith("BENCH "));
    if (result.status !== 0 || !line) {
      throw new Error(`"${command}" failed in ${dir} (exit ${result.status}):\n${result.stderr.slice(-2000)}`);
    }
    const [, seconds, kib] = line.split(" ");
    return { seconds: Number(seconds), peakMiB: Number(kib) / 1024 };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function bench(label: string, dir: string, runs: number): Sample {
  const command = appCommand(dir);
  console.log(`${label}: ${command} (in ${dir}), ${runs} runs`);
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const s = measure(dir, command);
    console.log(`  run ${i + 1}: ${s.seconds.toFixed(2)} s, ${s.peakMiB.toFixed(0)} MiB`);
    samples.push(s);
  }
  const result = { seconds: median(samples.map((s) => s.seconds)), peakMiB: median(samples.map((s) => s.peakMiB)) };
  console.log(`  median: ${result.seconds.toFixed(2)} s wall, ${result.peakMiB.toFixed(0)} MiB peak RSS`);
  return result;
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(GNU_TIME)) {
    console.error(`${GNU_TIME} is missing: install GNU time (sudo apt-get install -y time)`);
    process.exit(1);
  }
  const cpus = execFileSync("nproc", { encoding: "utf8" }).trim();
  console.log(`machine: ${cpus} cores, node ${process.version}`);
  const project = bench("this project", path.resolve(__dirname, ".."), options.runs);
  if (options.reference) {
    const ref = bench("reference", options.reference, options.runs);
    const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
    console.log(`\nthis project / reference: wall time ${pct(project.seconds, ref.seconds)}, peak memory ${pct(project.peakMiB, ref.peakMiB)}`);
  }
}

main();
