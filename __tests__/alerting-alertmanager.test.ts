import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
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
import { requireTool } from "./helpers/tools";
import { testConfig } from "./helpers/synth";

const config = testConfig();
const am = alertmanagerConfig(config);

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

  it("is accepted by the real amtool check-config", () => {
    const amtool = requireTool("amtool", "prometheus-alertmanager");
    if (!amtool) return;
    const dir = mkdtempSync(path.join(tmpdir(), "alertmanager-"));
    // amtool does not open api_url_file, but keep a file at the same relative shape so a stricter version would find one.
    mkdirSync(path.join(dir, "secret"), { recursive: true });
    writeFileSync(path.join(dir, "secret", ALERTMANAGER_WEBHOOK_SECRET.key), "https://hooks.example.invalid/T000/B000/XXXX\n");
    const file = path.join(dir, "alertmanager.yaml");
    writeFileSync(file, stringify(am));
    const out = execFileSync(amtool, ["check-config", file], { encoding: "utf8" });
    expect(out).toContain("SUCCESS");
    expect(out).toMatch(/3 receivers/);
  });

  it("makes amtool fail on a broken route (the check can fail)", () => {
    const amtool = requireTool("amtool", "prometheus-alertmanager");
    if (!amtool) return;
    const dir = mkdtempSync(path.join(tmpdir(), "alertmanager-bad-"));
    const file = path.join(dir, "alertmanager.yaml");
    writeFileSync(file, stringify({ ...am, route: { ...am.route, receiver: "nobody" } }));
    let output = "";
    try {
      execFileSync(amtool, ["check-config", file], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout);
    }
    expect(output).toMatch(/undefined receiver "nobody"/);
  });
});
