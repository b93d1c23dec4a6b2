/**
 * The programs Terraform's local-exec provisioners run: plain Node with
 * built-in modules only, in scripts/deploy-hooks/. They share a module there,
 * so a stack ships the whole folder as one asset and runs one file of it.
 */
import * as path from "node:path";
import type { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";

/** The folder a stack ships. */
export const DEPLOY_HOOKS_DIR = path.resolve(__dirname, "../scripts/deploy-hooks");

/** The programs in it. */
export type DeployHook = "wait-for-cluster.cjs" | "wait-for-volumes.cjs";

/** Where a program is in this checkout (tests run it from here). */
export function deployHookPath(hook: DeployHook): string {
  return path.join(DEPLOY_HOOKS_DIR, hook);
}

/**
 * Ships the folder with the stack as an asset named `id` and returns the
 * command that runs `hook` from it. Terraform runs in
 * cdktf.out/stacks/<stack>, where the asset's relative path is valid; the
 * command holds no value from the configuration (credentials go through the
 * provisioner's environment).
 */
export function deployHookCommand(scope: Construct, id: string, hook: DeployHook): string {
  const folder = new TerraformAsset(scope, id, { path: DEPLOY_HOOKS_DIR, type: AssetType.DIRECTORY });
  return `node ${folder.path}/${hook}`;
}
