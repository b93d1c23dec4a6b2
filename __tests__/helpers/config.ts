/**
 * Reading configuration errors in tests.
 */
import { ConfigError, loadConfig } from "../../lib/config";

/** The problems loadConfig reports for these overrides (context, then env, then the whole CDKTF context); fails if they are accepted. */
export function problems(context: unknown, env: Record<string, string> = {}, appContext?: Record<string, unknown>): readonly string[] {
  try {
    loadConfig({ context, env, ...(appContext ? { appContext } : {}), warn: () => undefined });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected the configuration to be rejected");
}
