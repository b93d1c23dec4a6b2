/**
 * The parts of each API answer the checks read, as zod schemas. Anything else
 * in an answer is ignored; an answer missing what a check needs is reported
 * as malformed (a clear failure, never a pass on missing data).
 */
import { z } from "zod";
import { VerifyError } from "./http";

export function decode<T>(what: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
  throw new VerifyError(`${what}: malformed answer${where}: ${issue?.message ?? "unexpected shape"}`);
}

// --- Kubernetes ---

const condition = z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() });

export const nodeList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string() }),
      status: z.object({ conditions: z.array(condition).default([]) }).default({ conditions: [] }),
    }),
  ),
});
export type NodeList = z.infer<typeof nodeList>;

const containerStatus = z.object({
  name: z.string(),
  ready: z.boolean(),
  restartCount: z.number().optional(),
  state: z
    .object({
      waiting: z.object({ reason: z.string().optional() }).optional(),
      terminated: z.object({ reason: z.string().optional() }).optional(),
    })
    .optional(),
});

export const podList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string(), namespace: z.string().optional(), labels: z.record(z.string(), z.string()).optional() }),
      status: z
        .object({
          phase: z.string().optional(),
          reason: z.string().optional(),
          containerStatuses: z.array(containerStatus).optional(),
          initContainerStatuses: z.array(containerStatus).optional(),
        })
        .default({}),
    }),
  ),
});
export type PodList = z.infer<typeof podList>;
export type Pod = PodList["items"][number];

export const deploymentList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string() }),
      spec: z.object({ replicas: z.number().optional() }).default({}),
      status: z.object({ replicas: z.number().optional(), availableReplicas: z.number().optional(), readyReplicas: z.number().optional() }).default({}),
    }),
  ),
});
export type DeploymentList = z.infer<typeof deploymentList>;

export const secret = z.object({ data: z.record(z.string(), z.string()).default({}) });
export const configMap = z.object({ data: z.record(z.string(), z.string()).default({}) });

export const versionInfo = z.object({ gitVersion: z.string() });

/** The Status object the API server sends with errors. */
export const status = z.object({ kind: z.literal("Status"), message: z.string().optional(), reason: z.string().optional() });

// --- Prometheus HTTP API ---

const sample = z.tuple([z.number(), z.string()]);
export const promVector = z.object({
  status: z.literal("success"),
  data: z.object({
    resultType: z.literal("vector"),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sample })),
  }),
});
export type PromVector = z.infer<typeof promVector>;
export const promError = z.object({ status: z.literal("error"), errorType: z.string().optional(), error: z.string().optional() });

export const promRules = z.object({
  status: z.literal("success"),
  data: z.object({
    groups: z.array(
      z.object({
        name: z.string(),
        file: z.string().optional(),
        rules: z.array(
          z.object({
            name: z.string(),
            type: z.enum(["alerting", "recording"]),
            health: z.string().optional(),
            lastError: z.string().optional(),
          }),
        ),
      }),
    ),
  }),
});
export type PromRules = z.infer<typeof promRules>;

export const promAlerts = z.object({
  status: z.literal("success"),
  data: z.object({
    alerts: z.array(z.object({ labels: z.record(z.string(), z.string()), state: z.string(), activeAt: z.string().optional() })),
  }),
});
export type PromAlerts = z.infer<typeof promAlerts>;

// --- Grafana HTTP API ---

export const grafanaHealth = z.object({ database: z.string(), version: z.string().optional() });
export const grafanaUser = z.object({ login: z.string(), isGrafanaAdmin: z.boolean().optional() });
export const grafanaSearch = z.array(z.object({ uid: z.string(), title: z.string(), type: z.string().optional(), url: z.string().optional() }));
export type GrafanaSearch = z.infer<typeof grafanaSearch>;
export const grafanaDatasources = z.array(z.object({ uid: z.string(), name: z.string(), type: z.string(), isDefault: z.boolean().optional() }));
export type GrafanaDatasources = z.infer<typeof grafanaDatasources>;

const dsRef = z.union([z.string(), z.object({ uid: z.string().optional(), type: z.string().optional() }), z.null()]).optional();
interface PanelShape {
  type?: string;
  title?: string;
  xaxis?: { mode?: string | null };
  legend?: { values?: boolean | null };
  datasource?: string | { uid?: string; type?: string } | null;
  targets?: Array<{ expr?: string; datasource?: string | { uid?: string; type?: string } | null }>;
  panels?: PanelShape[];
}
const panel: z.ZodType<PanelShape> = z.lazy(() =>
  z.object({
    type: z.string().optional(),
    title: z.string().optional(),
    xaxis: z.object({ mode: z.string().nullable().optional() }).optional(),
    legend: z.object({ values: z.boolean().nullable().optional() }).optional(),
    datasource: dsRef,
    targets: z.array(z.object({ expr: z.string().optional(), datasource: dsRef })).optional(),
    panels: z.array(panel).optional(),
  }),
);
export type Panel = PanelShape;
export const grafanaDashboard = z.object({
  meta: z.object({ provisionedExternalId: z.string().optional(), provisioned: z.boolean().optional() }).default({}),
  dashboard: z.object({
    uid: z.string(),
    title: z.string(),
    gnetId: z.number().nullable().optional(),
    panels: z.array(panel).default([]),
    templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string() })).default([]) }).default({ list: [] }),
  }),
});
export type GrafanaDashboard = z.infer<typeof grafanaDashboard>;

// --- Jaeger query API (jaegertracing/jaeger v1.31.0: cmd/query/app/http_handler.go structuredResponse, model/json/model.go) ---

const jaegerKeyValue = z.object({ key: z.string(), value: z.unknown() });
export const jaegerTraces = z.object({
  data: z.array(
    z.object({
      traceID: z.string(),
      spans: z.array(z.object({ spanID: z.string(), processID: z.string(), startTime: z.number(), operationName: z.string().optional() })),
      processes: z.record(z.string(), z.object({ serviceName: z.string(), tags: z.array(jaegerKeyValue).default([]) })),
    }),
  ),
});
export type JaegerTraces = z.infer<typeof jaegerTraces>;

// --- Loki /loki/api/v1/query_range, metric query (Loki docs: reference/loki-http-api.md, "resultType": "matrix") ---

export const lokiMatrix = z.object({
  status: z.literal("success"),
  data: z.object({
    resultType: z.literal("matrix"),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) })),
  }),
});
export type LokiMatrix = z.infer<typeof lokiMatrix>;
