/**
 * What every stack of this project shares: its state backend and the AWS
 * provider with the project's default tags.
 */
import { Construct } from "constructs";
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Config } from "./config";
import { commonTags } from "./naming";
import { normalizeStaticReferences } from "./terraform-json";
import { TERRAFORM_CLI } from "./versions";

/** Stack names as users type them (`cdktf deploy network cluster`). */
export const STACK_NAMES = {
  network: "network",
  cluster: "cluster",
  platform: "platform",
  apps: "apps",
} as const;
export type StackName = (typeof STACK_NAMES)[keyof typeof STACK_NAMES];

/**
 * Terraform runs in `cdktf.out/stacks/<stack>`, three levels below the project
 * root; local state lives beside the project, outside the folder synth rebuilds.
 * The path is relative so it is the same on every machine, and every stack
 * (which runs at the same depth) resolves another stack's state alike.
 */
export function localStatePath(config: Config, stack: StackName): string {
  return `../../../${config.backend.directory}/${stack}.tfstate`;
}

export abstract class ProjectStack extends TerraformStack {
  protected constructor(scope: Construct, readonly stackName: StackName, protected readonly config: Config) {
    super(scope, stackName);
    if (config.backend.type === "s3") {
      const backend = new S3Backend(this, {
        bucket: config.backend.s3Bucket ?? "",
        key: `${config.backend.s3KeyPrefix}/${stackName}.tfstate`,
        region: config.backend.s3Region ?? config.region,
        encrypt: true,
      });
      // S3-native state locking (Terraform >= 1.10); no DynamoDB table needed.
      backend.addOverride("use_lockfile", true);
    } else {
      new LocalBackend(this, { path: localStatePath(config, stackName) });
    }
    // An older Terraform stops at once with "Unsupported Terraform Core version" instead of failing on a feature.
    this.addOverride("terraform.required_version", `>= ${TERRAFORM_CLI.minimumVersion}`);
    new AwsProvider(this, "aws", { region: config.region, defaultTags: [{ tags: commonTags(config) }] });
  }

  /** The stack's Terraform JSON, with the places CDKTF writes in a form Terraform rejects corrected (lib/terraform-json.ts). */
  override toTerraform(): Record<string, unknown> {
    return normalizeStaticReferences(super.toTerraform() as Record<string, unknown>);
  }
}
