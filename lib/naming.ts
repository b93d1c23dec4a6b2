/** Names and tags: one helper, so every resource is named and tagged alike. */
import type { Config } from "./config";

/** `k8s-mesh` + `cluster` → `k8s-mesh-cluster`. */
export function resourceName(config: Pick<Config, "name">, ...parts: string[]): string {
  return [config.name, ...parts].join("-");
}

/** Tags on every AWS resource (through the provider's default_tags). */
export function commonTags(config: Pick<Config, "name" | "tags">): Record<string, string> {
  return { Project: config.name, ManagedBy: "cdktf", ...config.tags };
}

/** The tag Kubernetes uses to tie AWS resources to a cluster. */
export function clusterTag(config: Pick<Config, "name">): Record<string, string> {
  return { [`kubernetes.io/cluster/${config.name}`]: "owned" };
}
