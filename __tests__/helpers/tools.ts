/**
 * Real tools the tests run (shellcheck, promtool, amtool, cloud-init).
 *
 * A missing tool fails the test with the command that installs it. On a
 * developer laptop, MESH_SKIP_MISSING_TOOLS=1 turns that into a skip; CI
 * (CI set) never skips.
 *
 * Call requireTool at module or describe level (never inside a test), so a
 * missing tool fails the whole suite when it is loaded, and declare the tests
 * that run it with itWith / describeWith, so that under the opt-out they are
 * reported as skipped rather than as passed:
 *
 *   const shellcheck = requireTool("shellcheck", "shellcheck");
 *   itWith(shellcheck)("passes shellcheck", () => { ... shellcheck as string ... });
 *
 * Jest still runs the body of a skipped describe to collect its tests, so
 * inside describeWith run the tool only in tests and hooks (beforeAll), not
 * in the body itself.
 */
import { execFileSync } from "node:child_process";

export function toolSkipAllowed(): boolean {
  return process.env.MESH_SKIP_MISSING_TOOLS === "1" && !process.env.CI;
}

function findOnPath(name: string): string | null {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * The tool's path; null when it is missing and skipping is allowed (the
 * caller then skips); throws when it is missing otherwise.
 */
export function requireTool(name: string, debianPackage: string, installHint = `sudo apt-get install -y ${debianPackage}`): string | null {
  const found = findOnPath(name);
  if (found) return found;
  if (toolSkipAllowed()) {
    console.warn(`skipping: ${name} is not installed (${installHint})`);
    return null;
  }
  throw new Error(
    `${name} is not installed; these tests need it. Install it with: ${installHint}` +
      " (or set MESH_SKIP_MISSING_TOOLS=1 on a developer machine to skip these tests; CI never skips)",
  );
}

/**
 * Terraform is not packaged by Debian: it comes from HashiCorp's apt
 * repository (which scripts/setup.sh adds when it can reach it) or as a
 * single binary from HashiCorp's release site.
 */
export const TERRAFORM_INSTALL_HINT =
  "./scripts/setup.sh (adds HashiCorp's apt repository and installs the terraform package), " +
  "or see https://developer.hashicorp.com/terraform/install";

/** `it` when the tool was found, `it.skip` when requireTool returned null. */
export function itWith(tool: string | null): jest.It {
  return tool === null ? it.skip : it;
}

/** `describe` when the tool was found, `describe.skip` when requireTool returned null. */
export function describeWith(tool: string | null): jest.Describe {
  return tool === null ? describe.skip : describe;
}
