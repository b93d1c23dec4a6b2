/**
 * One Helm release, the way every release of this project is installed:
 * pinned chart, explicit namespace, values built as typed objects and
 * serialized to YAML once, Helm's wait on, and an explicit order.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { Release } from "@cdktf/provider-helm/lib/release";
import type { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { stringify } from "yaml";

/** Where a chart comes from (an entry of CHARTS in lib/versions.ts). */
export interface ChartSource {
  readonly repository: string;
  readonly chart: string;
}

/** A value path (Helm `--set` syntax) and its value, passed as a plain string. */
export type StringValues = Readonly<Record<string, string>>;

export interface ChartReleaseProps {
  readonly provider: HelmProvider;
  /** Helm release name (lib/k8s-names.ts RELEASES). */
  readonly name: string;
  readonly source: ChartSource;
  /** Chart version, from config.versions (defaults in lib/versions.ts). */
  readonly version: string;
  /** Namespace; created beforehand, never by Helm. */
  readonly namespace: string;
  /** Chart values; serialized once as YAML. Must not hold secrets or apply-time values. */
  readonly values: object;
  /**
   * Values known only at apply time (certificates): passed with `set`, typed
   * as strings so Helm never reinterprets them. Their values must not contain
   * a comma (Helm's `--set` separator); PEM text never does.
   */
  readonly applyTimeValues?: StringValues;
  /** Secret values: `set_sensitive`, hidden from plans. Same comma rule. */
  readonly sensitiveValues?: StringValues;
  /** Seconds Helm waits for the release's workloads to become ready (config.platform.helmTimeoutSeconds). */
  readonly timeoutSeconds: number;
  /** What must exist before this release is installed. */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Uninstall a release whose first install fails. Off: a failed release
   * stays for `kubectl describe`, and the next deploy replaces it.
   * @default false
   */
  readonly atomic?: boolean;
}

/** Sorted name/value pairs (a stable order keeps plans free of spurious diffs). */
function pairs(values: StringValues | undefined): Array<{ name: string; value: string; type: string }> {
  return Object.keys(values ?? {})
    .sort()
    .map((name) => ({ name, value: (values as StringValues)[name] as string, type: "string" }));
}

export class ChartRelease extends Construct {
  readonly release: Release;

  constructor(scope: Construct, id: string, props: ChartReleaseProps) {
    super(scope, id);
    const set = pairs(props.applyTimeValues);
    const setSensitive = pairs(props.sensitiveValues);
    this.release = new Release(this, "release", {
      provider: props.provider,
      name: props.name,
      repository: props.source.repository,
      chart: props.source.chart,
      version: props.version,
      namespace: props.namespace,
      createNamespace: false,
      values: [stringify(props.values, { lineWidth: 0 })],
      ...(set.length > 0 ? { set } : {}),
      ...(setSensitive.length > 0 ? { setSensitive } : {}),
      wait: true,
      waitForJobs: true,
      timeout: props.timeoutSeconds,
      atomic: props.atomic ?? false,
      // A failed upgrade removes what it created instead of leaving half a release.
      cleanupOnFail: true,
      maxHistory: 5,
      dependsOn: props.dependsOn,
    });
  }
}
