/**
 * The detection table of docs/apps.md, read from the promtool unit tests in
 * __tests__/fixtures/alerting/ (so the docs state only what promtool proves).
 *
 * A test group takes part when a comment line right above its `- interval:`
 * line names it:
 *
 *   # scenario: <what happens> | onset <when the first bad sample is scraped> [| outage] [| match label=value]
 *
 * `outage` marks a total outage (it must page within 5 minutes); `match`
 * counts an alert as firing only when an expected alert carries that label
 * (for tests that expect other alerts of the same name throughout).
 *
 * For each alert the group checks, the table shows the first evaluation that
 * expects it firing and the last one before that which expects silence; a
 * group that never expects an alert shows the times it checked silence at.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { durationSeconds } from "../lib/config";

export const ALERTING_FIXTURES = path.resolve(__dirname, "..", "__tests__", "fixtures", "alerting");

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string> }>;
}

export interface Detection {
  readonly alert: string;
  /** The severity label of the expected alert (undefined when it never fires). */
  readonly severity?: string;
  /** First evaluation expected to fire, in seconds of test time. */
  readonly firesAt?: number;
  /** Last evaluation before that expected to stay silent. */
  readonly silentAt?: number;
  /** Every evaluation that expects silence (for alerts that never fire). */
  readonly silentChecks: readonly number[];
}

export interface Scenario {
  readonly file: string;
  readonly name: string;
  readonly onset: number;
  /** A total outage: must page within 5 minutes. */
  readonly outage: boolean;
  readonly detections: readonly Detection[];
}

const SCENARIO = /^\s*# scenario: (.+?) \| onset (\S+)( \| outage)?(?: \| match ([\w]+)=(\S+))?\s*$/;
const TEST_START = /^ {2}- interval:/;

/** The scenarios of one promtool test file. */
export function scenariosOf(file: string, text: string): Scenario[] {
  const doc = parse(text) as { tests?: Array<{ alert_rule_test?: AlertRuleTest[] }> };
  const tests = doc.tests ?? [];
  const lines = text.split("\n");
  const out: Scenario[] = [];
  lines.forEach((line, i) => {
    const m = SCENARIO.exec(line);
    if (!m) return;
    if (!TEST_START.test(lines[i + 1] ?? "")) throw new Error(`${file}:${i + 1}: a scenario line must stand right above a test's "- interval:" line`);
    const index = lines.slice(0, i + 1).filter((l) => TEST_START.test(l)).length;
    const test = tests[index];
    if (!test) throw new Error(`${file}:${i + 1}: no test group ${index}`);
    const byAlert = new Map<string, AlertRuleTest[]>();
    for (const t of test.alert_rule_test ?? []) byAlert.set(t.alertname, [...(byAlert.get(t.alertname) ?? []), t]);
    const detections = [...byAlert.entries()].map(([alert, checks]): Detection => {
      const matches = (a: { exp_labels?: Record<string, string> }) => m[4] === undefined || a.exp_labels?.[m[4]] === m[5];
      const timed = checks
        .map((c) => ({ at: durationSeconds(c.eval_time), firing: (c.exp_alerts ?? []).some(matches), c }))
        .sort((a, b) => a.at - b.at);
      const first = timed.find((t) => t.firing);
      const silentChecks = timed.filter((t) => !t.firing).map((t) => t.at);
      if (!first) return { alert, silentChecks };
      const before = silentChecks.filter((s) => s < first.at);
      if (before.length === 0) throw new Error(`${file}, scenario "${m[1]}": ${alert} fires at ${first.c.eval_time} but no earlier check expects silence`);
      const severity = first.c.exp_alerts?.find(matches)?.exp_labels?.severity;
      return { alert, severity, firesAt: first.at, silentAt: Math.max(...before), silentChecks };
    });
    out.push({ file, name: m[1] as string, onset: durationSeconds(m[2] as string), outage: m[3] !== undefined, detections });
  });
  return out;
}

export function allScenarios(dir = ALERTING_FIXTURES): Scenario[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".test.yaml"))
    .sort()
    .flatMap((f) => scenariosOf(f, readFileSync(path.join(dir, f), "utf8")));
}

/** Test time as promtool's files write it: `61m30s`, `90m`, `45s`. */
export function formatTime(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m ? `${m}m` : ""}${s || !m ? `${s}s` : ""}`;
}

/** `85 s`, `3 min 25 s`, `10 min`. */
export function formatDelay(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  if (m === 0) return `${s} s`;
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}

export function detectionTable(scenarios: readonly Scenario[] = allScenarios()): string {
  const rows: string[] = [];
  for (const sc of scenarios) {
    const firing = sc.detections.filter((d) => d.firesAt !== undefined);
    const name = `${sc.name}${sc.outage ? " (total outage)" : ""}`;
    if (firing.length === 0) {
      const checked = [...new Set(sc.detections.flatMap((d) => d.silentChecks))].sort((a, b) => a - b).map(formatTime);
      rows.push(`| ${name} | none of ${sc.detections.map((d) => `\`${d.alert}\``).join(", ")} (checked at ${checked.join(", ")}) | — | \`${sc.file}\` |`);
      continue;
    }
    for (const d of firing) {
      const fires = d.firesAt as number;
      rows.push(
        `| ${name} | \`${d.alert}\` (${d.severity ?? "?"}) at ${formatTime(fires)}, not at ${formatTime(d.silentAt as number)} | ` +
          `${formatDelay(fires - sc.onset)} | \`${sc.file}\` |`,
      );
    }
  }
  return ["| Scenario | Fires | After the first bad scrape | Test |", "|---|---|---|---|", ...rows].join("\n");
}
