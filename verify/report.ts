/** The two ways results are shown: a table for people, JSON for machines. */
import type { Check, CheckResult } from "./types";

const MARK = { pass: "✓", fail: "✗", skipped: "✗" } as const;

export function progressStart(check: Check, index: number, total: number): string {
  return `[${String(index + 1).padStart(String(total).length)}/${total}] ${check.title} …`;
}

export function progressResult(r: CheckResult, index: number, total: number): string {
  const word = r.status === "pass" ? "ok" : r.status === "skipped" ? "skipped" : "FAILED";
  return `[${String(index + 1).padStart(String(total).length)}/${total}] ${MARK[r.status]} ${r.title}: ${word} (${r.durationMs} ms)`;
}

export function summary(results: readonly CheckResult[]): { passed: number; failed: number; skipped: number; ok: boolean } {
  const passed = results.filter((r) => r.status === "pass").length;
  const failed = results.filter((r) => r.status === "fail").length;
  const skipped = results.filter((r) => r.status === "skipped").length;
  return { passed, failed, skipped, ok: results.length > 0 && passed === results.length };
}

/** A fixed-width table: mark, check, evidence; a "fix:" line under each failure. */
export function renderTable(results: readonly CheckResult[]): string {
  const width = Math.max(5, ...results.map((r) => r.title.length));
  const lines = [`   ${"CHECK".padEnd(width)}  EVIDENCE`];
  for (const r of results) {
    lines.push(`${MARK[r.status]}  ${r.title.padEnd(width)}  ${r.evidence}`);
    if (r.status === "fail" && r.remedy) lines.push(`   ${" ".repeat(width)}  fix: ${r.remedy}`);
  }
  const s = summary(results);
  lines.push("");
  lines.push(
    s.ok
      ? `All ${s.passed} checks passed.`
      : `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped (a skipped check counts as failed).`,
  );
  return lines.join("\n") + "\n";
}

export function renderJson(results: readonly CheckResult[]): string {
  const s = summary(results);
  return JSON.stringify({ ok: s.ok, passed: s.passed, failed: s.failed, skipped: s.skipped, checks: results }, null, 2) + "\n";
}
