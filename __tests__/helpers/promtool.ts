/** Running promtool in the tests: its environment, and narrowed unit-test files. */
import { execFile, spawnSync } from "node:child_process";
import { parse, stringify } from "yaml";

/**
 * The environment promtool runs with. Its rule evaluation
 * allocates heavily (every evaluation step reads each range window afresh),
 * so with Go's defaults a fifth of its CPU goes to the garbage collector,
 * spread over every core. A less eager collector on one thread gives the
 * same results for about three quarters of the CPU, at under 150 MB per
 * process (Go runtime: GOGC, GOMAXPROCS).
 */
const PROMTOOL_ENV: NodeJS.ProcessEnv = { ...process.env, GOGC: "400", GOMAXPROCS: "1" };

export interface PromtoolResult {
  readonly code: number;
  /** stdout, then stderr. */
  readonly out: string;
}

/** Runs promtool (the path `requireTool` found) with `args` in `cwd`. */
export function runPromtool(promtool: string, args: string[], cwd: string): PromtoolResult {
  const r = spawnSync(promtool, args, { cwd, encoding: "utf8", env: PROMTOOL_ENV });
  return { code: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** The same, without blocking, so several promtool processes can run at once. */
export function startPromtool(promtool: string, args: string[], cwd: string): Promise<PromtoolResult> {
  return new Promise((resolve) => {
    execFile(promtool, args, { cwd, encoding: "utf8", env: PROMTOOL_ENV }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

/**
 * Narrowing a promtool unit-test file to the test groups a deliberate defect
 * can show up in, so a "the tests can fail" check does not re-run the whole
 * fixture. promtool evaluates each entry of `tests` on its own (its own
 * series, its own clock), so a group left out cannot change the verdict on
 * the groups kept; the file's other keys (rule_files, evaluation_interval,
 * group_eval_order) are kept as they are.
 */

interface AlertRuleTest {
  alertname: string;
  exp_alerts?: unknown[] | null;
}

interface UnitTestFile {
  tests: Array<{ alert_rule_test?: AlertRuleTest[] }>;
  [key: string]: unknown;
}

/**
 * The fixture with only the test groups that expect `alertname` to fire at
 * some eval_time: the groups that catch a defect making the alert fire later
 * or not at all (a loosened threshold, a rule reading the wrong series).
 * Throws when no group expects it to fire, so a check built on it cannot pass
 * on an empty file.
 */
export function groupsExpectingToFire(fixture: string, alertname: string): string {
  const doc = parse(fixture) as UnitTestFile;
  const kept = doc.tests.filter((t) => (t.alert_rule_test ?? []).some((a) => a.alertname === alertname && (a.exp_alerts ?? []).length > 0));
  if (kept.length === 0) throw new Error(`no test group of the fixture expects ${alertname} to fire`);
  return stringify({ ...doc, tests: kept });
}

/**
 * The test groups of `edited` that differ from the same group of `original`
 * (the groups an edit of the fixture touched), as a unit-test file. Throws
 * when the edit touched nothing.
 */
export function groupsChangedBy(original: string, edited: string): string {
  const before = parse(original) as UnitTestFile;
  const after = parse(edited) as UnitTestFile;
  const touched = after.tests.filter((t, i) => JSON.stringify(t) !== JSON.stringify(before.tests[i]));
  if (touched.length === 0) throw new Error("the edit changed no test group of the fixture");
  return stringify({ ...after, tests: touched });
}
