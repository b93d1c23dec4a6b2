/**
 * One label helper for every workload of the apps stack: Deployment
 * metadata, its selector, the pod template and the Service selectors all
 * read from here, so they can never drift apart.
 *
 * `app` and `version` are Bookinfo's own labels (its Services select on
 * `app`); `app.kubernetes.io/*` are the Kubernetes recommended labels.
 * Selectors use only `app` (+ `version`), which never change for a
 * Deployment (a selector is immutable).
 */
export const PART_OF = "bookinfo";
export const MANAGED_BY = "cdktf";

export interface WorkloadName {
  /** Bookinfo's `app` label: the service name (`reviews`), or the workload name for clients. */
  readonly app: string;
  /** Bookinfo's `version` label (`v1`). */
  readonly version: string;
  /** `app.kubernetes.io/component`. */
  readonly component?: string;
}

/** The labels a pod is selected by: `app` and `version`. */
export function selectorLabels(w: WorkloadName): Record<string, string> {
  return { app: w.app, version: w.version };
}

/** What a Service selects: every version of an app, or one version. */
export function serviceSelector(app: string, version?: string): Record<string, string> {
  return version === undefined ? { app } : selectorLabels({ app, version });
}

/** Every label of a workload's objects (metadata and pod template). */
export function workloadLabels(w: WorkloadName): Record<string, string> {
  return {
    ...selectorLabels(w),
    "app.kubernetes.io/name": w.app,
    "app.kubernetes.io/version": w.version,
    "app.kubernetes.io/component": w.component ?? w.app,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": MANAGED_BY,
  };
}

/** Labels of objects that belong to an app but are not a workload (Services, ServiceAccounts, policy). */
export function appLabels(app: string): Record<string, string> {
  return { app, "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": MANAGED_BY };
}
