/** Removes the run's shared stacks directory (global-setup.ts). */
import { rmSync } from "node:fs";
import { SYNTH_CACHE_ENV } from "./helpers/synth-cache";

export default function globalTeardown(): void {
  const dir = process.env[SYNTH_CACHE_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
