/** A custom resource through `kubernetes_manifest` (its CRD must exist when the stack is planned). */
import { Construct } from "constructs";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { ITerraformDependable } from "cdktf";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Record<string, string> };
  readonly spec: Record<string, unknown>;
}

export function manifest(scope: Construct, id: string, provider: KubernetesProvider, object: KubeObject, dependsOn: ITerraformDependable[]): Manifest {
  return new Manifest(scope, id, { provider, manifest: object as unknown as Record<string, unknown>, dependsOn });
}
