/**
 * Runs checks in order. A check whose prerequisites did not pass is reported
 * as skipped, which counts as a failure: the command never shows a pass it
 * did not observe. Each check has its own deadline; when it passes, the
 * check's requests are aborted and it fails with a timeout.
 */
import { VerifyError } from "./http";
import type { Check, CheckContext, CheckResult, Maybe } from "./types";

export interface RunOptions {
  readonly timeoutMs: number;
  /** Called as each check starts and ends (progress on stderr). */
  readonly onStart?: (check: Check, index: number, total: number) => void;
  readonly onResult?: (result: CheckResult, index: number, total: number) => void;
}

/** A client or address the check needs was not available (outputs unreadable, flag missing). */
export class MissingInput extends VerifyError {}

/** Standing advice when a check could not start for lack of input. */
export const MISSING_INPUT_REMEDY = "deploy the stacks (their outputs supply it) or pass it as the evidence says; see npm run verify -- --help";

/** Unwraps a Maybe for a check, failing it with the reason the client is missing. */
export function need<T>(m: Maybe<T>): T {
  if (!m.ok) throw new MissingInput(m.reason);
  return m.value;
}

async function runOne(check: Check, ctx: CheckContext, timeoutMs: number): Promise<{ ok: boolean; evidence: string; remedy?: string }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new VerifyError(`no result within ${timeoutMs / 1000} s (--timeout); the endpoint is slow or unreachable`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([check.run(ctx, controller.signal), timeout]);
  } catch (e) {
    const message = e instanceof VerifyError ? e.message : `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
    return e instanceof MissingInput ? { ok: false, evidence: message, remedy: MISSING_INPUT_REMEDY } : { ok: false, evidence: message };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

export async function runChecks(checks: readonly Check[], ctx: CheckContext, opts: RunOptions): Promise<CheckResult[]> {
  const results = new Map<string, CheckResult>();
  const out: CheckResult[] = [];
  for (const [i, check] of checks.entries()) {
    opts.onStart?.(check, i, checks.length);
    const started = Date.now();
    const blocking = check.needs.map((id) => results.get(id)).find((r) => r === undefined || r.status !== "pass");
    let result: CheckResult;
    if (blocking !== undefined || check.needs.some((id) => !results.has(id))) {
      const name = blocking?.title ?? check.needs.find((id) => !results.has(id)) ?? "a prerequisite";
      result = {
        id: check.id,
        title: check.title,
        status: "skipped",
        evidence: `skipped: because "${name}" ${blocking?.status === "skipped" ? "was skipped" : "failed"}`,
        remedy: `fix "${name}" first`,
        durationMs: 0,
      };
    } else {
      const o = await runOne(check, ctx, opts.timeoutMs);
      result = {
        id: check.id,
        title: check.title,
        status: o.ok ? "pass" : "fail",
        evidence: o.evidence,
        ...(o.ok ? {} : { remedy: o.remedy ?? check.remedy }),
        durationMs: Date.now() - started,
      };
    }
    results.set(check.id, result);
    out.push(result);
    opts.onResult?.(result, i, checks.length);
  }
  return out;
}
