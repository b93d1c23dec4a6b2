/**
 * Local Terraform state holds every generated key (cluster CA, admin key,
 * issuer keys): it must never be readable by other users of the machine.
 * Terraform creates state files with mode 0666 minus the umask (0644 under
 * the usual umask 022), but keeps the mode of a file that already exists. So
 * before Terraform runs, the app creates the state folder with mode 0700 and
 * each stack's state and backup file, empty, with mode 0600 (an empty file is
 * "no state yet" to Terraform), and tightens files left by an earlier run.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import * as path from "node:path";

export const STATE_DIRECTORY_MODE = 0o700;
export const STATE_FILE_MODE = 0o600;

/** The files Terraform's local backend writes for one state path: the state and its backup. */
export function localStateFiles(stack: string): string[] {
  return [`${stack}.tfstate`, `${stack}.tfstate.backup`];
}

/** Creates (or tightens) `directory` and the state files of `stacks` in it. */
export function prepareLocalState(directory: string, stacks: readonly string[]): void {
  mkdirSync(directory, { recursive: true, mode: STATE_DIRECTORY_MODE });
  chmodSync(directory, STATE_DIRECTORY_MODE);
  for (const file of stacks.flatMap(localStateFiles)) {
    const full = path.join(directory, file);
    try {
      closeSync(openSync(full, "wx", STATE_FILE_MODE));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    chmodSync(full, STATE_FILE_MODE);
  }
}
