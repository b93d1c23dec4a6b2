/**
 * Reading configuration errors in tests.
 */
import { ConfigError, loadConfig } from "../../lib/config";

/** The problems loadConfig reports for these overrides (context, then env); fails if they are accepted. */
export function problems(context: unknown, env: Record<string, string> = {}): readonly string[] {
  try {
    loadConfig({ context, env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected the configuration to be rejected");
}
