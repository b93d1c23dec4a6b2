/** What a check is, what it returns, and what it can use. */
import type { GrafanaApi } from "./grafana";
import type { KubeApi } from "./kube";
import type { PrometheusApi } from "./prometheus";
import type { JaegerApi, LokiApi } from "./observability";
import type { GrafanaDashboard, GrafanaDatasources } from "./schemas";

/** A check's verdict: passed or not, and the evidence either way. */
export interface Outcome {
  readonly ok: boolean;
  readonly evidence: string;
  /** Replaces the check's standing advice when a failure calls for something more specific. */
  readonly remedy?: string;
}

export type Status = "pass" | "fail" | "skipped";

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: Status;
  readonly evidence: string;
  /** What to do; present unless the check passed. */
  readonly remedy?: string;
  readonly durationMs: number;
}

/** Either a working client or the reason there is none (missing outputs, unreadable kubeconfig...). */
export type Maybe<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** What the checks know about the deployment they verify. */
export interface Expectations {
  /** Control plane + workers. */
  readonly nodeCount: number;
  readonly reviewsWeights: Readonly<Record<string, number>>;
  /** Oldest acceptable proxy sample, in seconds (KPI 5 s + one mesh scrape interval). */
  readonly freshnessBoundSeconds: number;
  /** Minimum remaining validity of the Linkerd trust anchor and issuer, in days. */
  readonly certMinDays: number;
  /** platform.tracing.enabled: the trace check runs. */
  readonly tracing: boolean;
  /** platform.logs.enabled: the log check runs. */
  readonly logs: boolean;
}

/** Findings one check hands to the checks that depend on it. */
export interface Facts {
  nodeNames?: string[];
  dashboards?: Map<string, GrafanaDashboard>;
  datasources?: GrafanaDatasources;
}

export interface CheckContext {
  readonly kube: Maybe<KubeApi>;
  readonly prometheus: Maybe<PrometheusApi>;
  readonly grafana: Maybe<GrafanaApi>;
  readonly jaeger: Maybe<JaegerApi>;
  readonly loki: Maybe<LokiApi>;
  readonly bookinfoUrl: Maybe<string>;
  readonly expect: Expectations;
  readonly now: () => Date;
  readonly facts: Facts;
}

export interface Check {
  readonly id: string;
  readonly title: string;
  /** Ids of checks that must pass first; otherwise this one is reported as skipped (a failure). */
  readonly needs: readonly string[];
  /** What to do when it fails. */
  readonly remedy: string;
  /** Whether the deployment has what this check looks at (absent: always). A check that does not apply is not run. */
  readonly appliesTo?: (expect: Expectations) => boolean;
  run(ctx: CheckContext, signal: AbortSignal): Promise<Outcome>;
}
