/**
 * Alertmanager's configuration: a route tree by severity and a
 * Slack-compatible webhook whose URL never appears in the repo, in Terraform
 * plans or in the chart values. The URL is read by Alertmanager from a file
 * mounted from a Kubernetes Secret (`slack_configs[].api_url_file`,
 * Alertmanager 0.22 and later).
 *
 * The platform stack passes `alertmanagerConfig(config)` as the
 * kube-prometheus-stack value `alertmanager.config`. With
 * `alerting.webhookEnabled` it also creates the Secret
 * `ALERTMANAGER_WEBHOOK_SECRET.name` from a sensitive variable (without a
 * default) and lists it in `alertmanager.alertmanagerSpec.secrets`, which the
 * Prometheus Operator mounts at `/etc/alertmanager/secrets/<name>/`. Without
 * it there is no variable and no Secret, and the `page` and `ticket`
 * receivers have no integration: the route tree and the inhibitions stay the
 * same, Alertmanager shows the alerts under those receivers and sends nothing
 * (no receiver points at a file that is not there).
 */
import type { Config } from "../config";

/** The Secret holding the webhook URL, and where Alertmanager sees it. */
export const ALERTMANAGER_WEBHOOK_SECRET = {
  name: "alertmanager-webhook",
  key: "url",
  /** Where the Prometheus Operator mounts a Secret listed in alertmanagerSpec.secrets. */
  mountPath: "/etc/alertmanager/secrets/alertmanager-webhook",
} as const;

/** Full path of the file holding the webhook URL inside the Alertmanager pod. */
export const ALERTMANAGER_WEBHOOK_FILE = `${ALERTMANAGER_WEBHOOK_SECRET.mountPath}/${ALERTMANAGER_WEBHOOK_SECRET.key}`;

/** Receiver names of the route tree. */
export const RECEIVERS = {
  /** Wakes someone up: fast SLO burn, productpage down. */
  page: "page",
  /** Handled in working hours: slow SLO burn, latency, missing replicas. */
  ticket: "ticket",
  /** Everything else (info alerts, Watchdog): dropped. */
  none: "null",
} as const;

/**
 * Severities routed to each receiver. The project's own rules use `page` and
 * `ticket`; kube-prometheus-stack's bundled rules use `critical`, `warning`
 * and `info`, so critical pages and warning makes a ticket.
 */
export const SEVERITY_ROUTES = {
  page: ["page", "critical"],
  ticket: ["ticket", "warning"],
} as const;

/** An Alertmanager configuration document (the subset this project writes). */
export interface AlertmanagerConfig {
  readonly global: { readonly resolve_timeout: string };
  readonly route: AlertmanagerRoute;
  readonly inhibit_rules: ReadonlyArray<Record<string, unknown>>;
  readonly receivers: ReadonlyArray<Record<string, unknown>>;
  readonly templates: readonly string[];
}

export interface AlertmanagerRoute {
  readonly receiver: string;
  readonly group_by?: readonly string[];
  readonly group_wait?: string;
  readonly group_interval?: string;
  readonly repeat_interval?: string;
  readonly matchers?: readonly string[];
  readonly continue?: boolean;
  readonly routes?: readonly AlertmanagerRoute[];
}

function severityMatcher(severities: readonly string[]): string {
  return `severity=~"${severities.join("|")}"`;
}

function slackReceiver(name: string, title: string, webhookEnabled: boolean): Record<string, unknown> {
  if (!webhookEnabled) return { name };
  return {
    name,
    slack_configs: [
      {
        api_url_file: ALERTMANAGER_WEBHOOK_FILE,
        send_resolved: true,
        title: `[${title}] {{ .CommonLabels.alertname }} ({{ .Status }})`,
        text: "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\n{{ end }}",
      },
    ],
  };
}

/**
 * The whole Alertmanager configuration. Pure: the same config gives the same
 * document. `alerting.webhookEnabled` decides whether `page` and `ticket`
 * post to the webhook or notify no one.
 */
export function alertmanagerConfig(config: Pick<Config, "alerting">): AlertmanagerConfig {
  const { webhookEnabled } = config.alerting;
  return {
    global: { resolve_timeout: "5m" },
    route: {
      receiver: RECEIVERS.none,
      group_by: ["namespace", "alertname"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "12h",
      routes: [
        // The always-firing Watchdog proves the pipeline works; it is not news.
        { receiver: RECEIVERS.none, matchers: ['alertname="Watchdog"'] },
        { receiver: RECEIVERS.none, matchers: ['alertname="InfoInhibitor"'] },
        { receiver: RECEIVERS.page, matchers: [severityMatcher(SEVERITY_ROUTES.page)], group_wait: "10s", repeat_interval: "1h" },
        { receiver: RECEIVERS.ticket, matchers: [severityMatcher(SEVERITY_ROUTES.ticket)], repeat_interval: "24h" },
      ],
    },
    inhibit_rules: [
      // A page silences the ticket for the same problem.
      {
        source_matchers: [severityMatcher(SEVERITY_ROUTES.page)],
        target_matchers: [severityMatcher([...SEVERITY_ROUTES.ticket, "info"])],
        equal: ["namespace", "alertname"],
      },
      {
        source_matchers: [severityMatcher(SEVERITY_ROUTES.ticket)],
        target_matchers: ['severity="info"'],
        equal: ["namespace", "alertname"],
      },
      // kube-prometheus-stack's InfoInhibitor: info alerts matter only next to a real one.
      { source_matchers: ['alertname="InfoInhibitor"'], target_matchers: ['severity="info"'], equal: ["namespace"] },
      { target_matchers: ['alertname="InfoInhibitor"'] },
    ],
    receivers: [
      { name: RECEIVERS.none },
      slackReceiver(RECEIVERS.page, "PAGE", webhookEnabled),
      slackReceiver(RECEIVERS.ticket, "TICKET", webhookEnabled),
    ],
    // kube-prometheus-stack mounts `alertmanager.templateFiles` here.
    templates: ["/etc/alertmanager/config/*.tmpl"],
  };
}
