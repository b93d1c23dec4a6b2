import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import {
  ALERTMANAGER_WEBHOOK_FILE,
  ALERTMANAGER_WEBHOOK_SECRET,
  RECEIVERS,
  alertmanagerConfig,
  type AlertmanagerRoute,
} from "../lib/alerting/alertmanager";
import { itWith, requireTool } from "./helpers/tools";
import { testConfig } from "./helpers/synth";

const config = testConfig({ alerting: { webhookEnabled: true } });
const am = alertmanagerConfig(config);
/** The default: no webhook. */
const silent = alertmanagerConfig(testConfig());

/** Runs `amtool check-config` on a document; its stdout, or the failure's stdout. */
function amtoolCheck(amtool: string, document: unknown): { ok: boolean; output: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "alertmanager-"));
  const file = path.join(dir, "alertmanager.yaml");
  writeFileSync(file, stringify(document));
  try {
    return { ok: true, output: execFileSync(amtool, ["check-config", file], { encoding: "utf8", stdio: "pipe" }) };
  } catch (e) {
    return { ok: false, output: String((e as { stdout?: string }).stdout) };
  }
}

/** The receiver Alertmanager picks for a label set (first matching child route, no `continue`). */
function routeFor(labels: Record<string, string>, route: AlertmanagerRoute = am.route): string {
  for (const child of route.routes ?? []) {
    const ok = (child.matchers ?? []).every((m) => {
      const match = /^(\w+)(=~|=)"(.*)"$/.exec(m);
      if (!match) throw new Error(`unparsed matcher ${m}`);
      const [, name, op, value] = match as unknown as [string, string, string, string];
      const actual = labels[name] ?? "";
      return op === "=" ? actual === value : new RegExp(`^(?:${value})$`).test(actual);
    });
    if (ok) return routeFor(labels, child);
  }
  return route.receiver;
}

describe("alertmanagerConfig", () => {
  it("routes by severity: page and critical page, ticket and warning make tickets, everything else is dropped", () => {
    expect(routeFor({ severity: "page", alertname: "X" })).toBe(RECEIVERS.page);
    expect(routeFor({ severity: "critical", alertname: "X" })).toBe(RECEIVERS.page);
    expect(routeFor({ severity: "ticket", alertname: "X" })).toBe(RECEIVERS.ticket);
    expect(routeFor({ severity: "warning", alertname: "X" })).toBe(RECEIVERS.ticket);
    expect(routeFor({ severity: "info", alertname: "X" })).toBe(RECEIVERS.none);
    expect(routeFor({ alertname: "X" })).toBe(RECEIVERS.none);
    expect(routeFor({ severity: "none", alertname: "Watchdog" })).toBe(RECEIVERS.none);
  });

  it("reads the webhook URL from the file the Secret is mounted at, never from the config itself", () => {
    expect(ALERTMANAGER_WEBHOOK_FILE).toBe(`/etc/alertmanager/secrets/${ALERTMANAGER_WEBHOOK_SECRET.name}/${ALERTMANAGER_WEBHOOK_SECRET.key}`);
    const notified = am.receivers.filter((r) => r.name !== RECEIVERS.none);
    expect(notified.map((r) => r.name).sort()).toEqual([RECEIVERS.page, RECEIVERS.ticket].sort());
    for (const r of notified) {
      const slack = r.slack_configs as Array<Record<string, unknown>>;
      expect(slack).toHaveLength(1);
      expect(slack[0]?.api_url_file).toBe(ALERTMANAGER_WEBHOOK_FILE);
      expect(slack[0]).not.toHaveProperty("api_url");
    }
    expect(JSON.stringify(am)).not.toMatch(/https?:\/\//);
  });

  const amtool = requireTool("amtool", "prometheus-alertmanager");

  itWith(amtool)("is accepted by the real amtool check-config, with the webhook on and off", () => {
    for (const document of [am, silent]) {
      const { ok, output } = amtoolCheck(amtool as string, document);
      expect(ok).toBe(true);
      expect(output).toContain("SUCCESS");
      expect(output).toMatch(/3 receivers/);
    }
  });

  itWith(amtool)("makes amtool fail on a broken route (the check can fail)", () => {
    const { ok, output } = amtoolCheck(amtool as string, { ...am, route: { ...am.route, receiver: "nobody" } });
    expect(ok).toBe(false);
    expect(output).toMatch(/undefined receiver "nobody"/);
  });
});

describe("alertmanagerConfig without the webhook (alerting.webhookEnabled false, the default)", () => {
  it("keeps the same route tree and inhibitions, so turning the webhook on changes only the receivers", () => {
    expect(silent.route).toEqual(am.route);
    expect(silent.inhibit_rules).toEqual(am.inhibit_rules);
    expect(silent.receivers.map((r) => r.name)).toEqual(am.receivers.map((r) => r.name));
  });

  it("gives every receiver no integration: nothing is sent and no receiver reads a webhook file", () => {
    expect(silent.receivers).toEqual([{ name: RECEIVERS.none }, { name: RECEIVERS.page }, { name: RECEIVERS.ticket }]);
    expect(JSON.stringify(silent)).not.toContain("api_url");
    expect(JSON.stringify(silent)).not.toContain(ALERTMANAGER_WEBHOOK_SECRET.mountPath);
  });
});
