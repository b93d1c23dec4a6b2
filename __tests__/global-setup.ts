/** Gives each Jest run a fresh directory for the stacks its test files share (helpers/synth-cache.ts). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { SYNTH_CACHE_ENV } from "./helpers/synth-cache";

export default function globalSetup(): void {
  process.env[SYNTH_CACHE_ENV] = mkdtempSync(path.join(tmpdir(), "k8s-mesh-synth-"));
}
