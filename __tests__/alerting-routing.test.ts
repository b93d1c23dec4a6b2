/**
 * Alertmanager's routes and inhibitions, judged by Alertmanager itself: the
 * configuration exactly as the platform stack synthesizes it (the
 * kube-prometheus-stack value `alertmanager.config`) goes to
 * `amtool config routes test` for the routes, and to a real Alertmanager
 * (Debian's prometheus-alertmanager, 0.25) on 127.0.0.1 for the inhibitions:
 * alerts are posted to its API and its own answer says which are inhibited.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { releaseNamed, synthApp } from "./helpers/synth";
import { describeWith, requireTool } from "./helpers/tools";

const amtool = requireTool("amtool", "prometheus-alertmanager");
const alertmanagerBin = requireTool("prometheus-alertmanager", "prometheus-alertmanager");

/** alertmanager.config from the synthesized kube-prometheus-stack release, webhook on (the receivers then have integrations). */
function synthesizedConfig(): Record<string, unknown> {
  const platform = synthApp({ alerting: { webhookEnabled: true } }).stack("platform");
  const values = parse(String((releaseNamed(platform, "kube-prometheus-stack").body.values as string[])[0])) as { alertmanager: { config: Record<string, unknown> } };
  return values.alertmanager.config;
}

const dir = mkdtempSync(path.join(tmpdir(), "alert-routing-"));
const configFile = path.join(dir, "alertmanager.yaml");
const amConfig = synthesizedConfig();
writeFileSync(configFile, stringify(amConfig));

/** The receivers amtool picks for a label set. */
function receiversFor(labels: Record<string, string>): string {
  const r = spawnSync(amtool as string, ["config", "routes", "test", `--config.file=${configFile}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`amtool failed: ${r.stderr}`);
  return r.stdout.trim();
}

describeWith(amtool)("routes, as amtool resolves them", () => {
  it.each([
    // The project's SLO rules (severity page / ticket).
    [{ alertname: "ProductpageErrorBudgetBurnFast", severity: "page", namespace: "bookinfo" }, "page"],
    [{ alertname: "ProductpageErrorBudgetBurnSlow", severity: "ticket", namespace: "bookinfo" }, "ticket"],
    // kube-prometheus-stack's bundled rules (critical / warning / info).
    [{ alertname: "KubeAPIDown", severity: "critical" }, "page"],
    [{ alertname: "KubePodCrashLooping", severity: "warning", namespace: "kube-system" }, "ticket"],
    [{ alertname: "KubeQuotaAlmostFull", severity: "info", namespace: "bookinfo" }, "null"],
    // Always firing, by design: never news.
    [{ alertname: "Watchdog", severity: "none" }, "null"],
    [{ alertname: "InfoInhibitor", severity: "none", namespace: "bookinfo" }, "null"],
    // A severity nobody routes is dropped, not paged.
    [{ alertname: "Something", severity: "pagee" }, "null"],
    [{ alertname: "NoSeverity" }, "null"],
  ])("%j goes to %s", (labels, receiver) => {
    expect(receiversFor(labels)).toBe(receiver);
  });

  it("fails the expectation when it is wrong (amtool --verify.receivers exits non-zero)", () => {
    const r = spawnSync(amtool as string, ["config", "routes", "test", `--config.file=${configFile}`, "--verify.receivers=page", "severity=warning"], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
  });
});

describe("notifications", () => {
  it("send the resolution too, on every integration (slack_configs default send_resolved to false)", () => {
    const receivers = amConfig.receivers as Array<Record<string, Array<Record<string, unknown>> | string>>;
    const integrations = receivers.flatMap((r) => Object.entries(r).filter(([k]) => k.endsWith("_configs")).flatMap(([, v]) => v as Array<Record<string, unknown>>));
    expect(integrations.length).toBeGreaterThanOrEqual(2);
    for (const i of integrations) expect(i.send_resolved).toBe(true);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

type Labels = Record<string, string>;

describeWith(alertmanagerBin)("inhibitions, as a running Alertmanager applies them", () => {
  let proc: ChildProcess | undefined;
  let base = "";
  let log = "";

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = spawn(
      alertmanagerBin as string,
      [`--config.file=${configFile}`, `--storage.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=", "--log.level=warn"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    proc.stderr?.on("data", (d) => (log += String(d)));
    // Up to 30 s: a loaded CI machine starts it slowly.
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`${base}/-/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Alertmanager did not become ready: ${log}`);
  });

  afterAll(() => {
    proc?.kill();
  });

  /** Posts `alerts` (firing) and returns, for each, the alertnames of what inhibits it, from Alertmanager's answer. */
  async function inhibitions(alerts: Labels[]): Promise<Array<{ labels: Labels; inhibitedBy: string[] }>> {
    // Each case uses its own namespace label values, so cases do not see each other.
    const posted = await fetch(`${base}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alerts.map((labels) => ({ labels, startsAt: new Date().toISOString() }))),
    });
    expect(posted.status).toBe(200);
    // Alertmanager's inhibitor learns of new alerts asynchronously: read until two reads 200 ms apart agree.
    let previous = "";
    for (let attempt = 0; ; attempt++) {
      const current = await readInhibitions(alerts);
      const key = JSON.stringify(current);
      if (attempt >= 25 && key.includes("(not listed yet)")) throw new Error(`Alertmanager does not list every alert of ${JSON.stringify(alerts)}`);
      if (key === previous || attempt >= 25) return current;
      previous = key;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function readInhibitions(alerts: Labels[]): Promise<Array<{ labels: Labels; inhibitedBy: string[] }>> {
    const all = (await (await fetch(`${base}/api/v2/alerts`)).json()) as Array<{ labels: Labels; fingerprint: string; status: { inhibitedBy: string[] } }>;
    const byFingerprint = new Map(all.map((a) => [a.fingerprint, a]));
    return alerts.map((labels) => {
      const found = all.find((a) => JSON.stringify(Object.entries(a.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
      if (!found) return { labels, inhibitedBy: ["(not listed yet)"] };
      return { labels, inhibitedBy: found.status.inhibitedBy.map((f) => byFingerprint.get(f)?.labels.alertname ?? f).sort() };
    });
  }

  it("a page silences the ticket for the same alert in the same namespace, never the other way", async () => {
    const [page, ticket] = await inhibitions([
      { alertname: "ProductpageErrorBudgetBurn", severity: "page", namespace: "case-1" },
      { alertname: "ProductpageErrorBudgetBurn", severity: "ticket", namespace: "case-1" },
    ]);
    expect(ticket?.inhibitedBy).toEqual(["ProductpageErrorBudgetBurn"]);
    expect(page?.inhibitedBy).toEqual([]);
  });

  it("a page does not silence a different alert's ticket, nor the same alert in another namespace (not too broad)", async () => {
    const [, otherAlert, otherNamespace] = await inhibitions([
      { alertname: "ProductpageErrorBudgetBurn", severity: "page", namespace: "case-2" },
      { alertname: "ReviewsLatencyHigh", severity: "ticket", namespace: "case-2" },
      { alertname: "ProductpageErrorBudgetBurn", severity: "ticket", namespace: "case-2b" },
    ]);
    expect(otherAlert?.inhibitedBy).toEqual([]);
    expect(otherNamespace?.inhibitedBy).toEqual([]);
  });

  it("critical silences warning and info of the same alert; warning silences info", async () => {
    const [, warning, info] = await inhibitions([
      { alertname: "KubeletDown", severity: "critical", namespace: "case-3" },
      { alertname: "KubeletDown", severity: "warning", namespace: "case-3" },
      { alertname: "KubeletDown", severity: "info", namespace: "case-3" },
    ]);
    expect(warning?.inhibitedBy).toEqual(["KubeletDown"]);
    expect(info?.inhibitedBy.length).toBeGreaterThan(0);
  });

  it("info alerts stay quiet unless something real fires in their namespace (kube-prometheus-stack's InfoInhibitor)", async () => {
    const [, quiet] = await inhibitions([
      { alertname: "InfoInhibitor", severity: "none", namespace: "case-4" },
      { alertname: "KubeQuotaAlmostFull", severity: "info", namespace: "case-4" },
    ]);
    expect(quiet?.inhibitedBy).toEqual(["InfoInhibitor"]);
    const [alone] = await inhibitions([{ alertname: "KubeQuotaAlmostFull", severity: "info", namespace: "case-5" }]);
    expect(alone?.inhibitedBy).toEqual([]);
  });

  it("only a page or critical alert silences a ticket; an alert without a severity is never silenced", async () => {
    const [, ticket] = await inhibitions([
      { alertname: "Noise", severity: "none", namespace: "case-7" },
      { alertname: "Noise", severity: "ticket", namespace: "case-7" },
    ]);
    expect(ticket?.inhibitedBy).toEqual([]);
    const [, bare] = await inhibitions([
      { alertname: "Bare", severity: "page", namespace: "case-8" },
      { alertname: "Bare", namespace: "case-8" },
    ]);
    expect(bare?.inhibitedBy).toEqual([]);
  });

  it("a ticket silences only the info alert of the same name; InfoInhibitor itself never notifies", async () => {
    const [, info] = await inhibitions([
      { alertname: "KubePodNotReady", severity: "warning", namespace: "case-9" },
      { alertname: "KubeQuotaAlmostFull", severity: "info", namespace: "case-9" },
    ]);
    expect(info?.inhibitedBy).toEqual([]);
    const [inhibitor] = await inhibitions([
      { alertname: "InfoInhibitor", severity: "none", namespace: "case-10" },
      { alertname: "CPUThrottlingHigh", severity: "info", namespace: "case-10" },
    ]);
    expect(inhibitor?.inhibitedBy.length).toBeGreaterThan(0);
  });

  it("nothing silences a page or a critical alert", async () => {
    const [page, critical] = await inhibitions([
      { alertname: "ProductpageDown", severity: "page", namespace: "case-6" },
      { alertname: "KubeAPIDown", severity: "critical", namespace: "case-6" },
      { alertname: "InfoInhibitor", severity: "none", namespace: "case-6" },
      { alertname: "ProductpageDown", severity: "ticket", namespace: "case-6" },
    ]);
    expect(page?.inhibitedBy).toEqual([]);
    expect(critical?.inhibitedBy).toEqual([]);
  });
});
