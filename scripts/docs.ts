/**
 * Generates the reference tables from the code, so the docs never drift from
 * it: in docs/configuration.md every setting (from lib/config/defaults.ts,
 * with its doc comment and environment variable), every version
 * (lib/versions.ts) and every port (lib/ports.ts); in the README the cost
 * of the default deployment (lib/costs.ts).
 *
 *   npm run docs          # rewrite the generated parts
 *   npm run docs -- --check   # exit 1 if a generated part is out of date
 *
 * Generated parts sit between `<!-- BEGIN GENERATED: name -->` and
 * `<!-- END GENERATED: name -->` markers.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { DEFAULT_CONFIG, envName, loadConfig, settingPaths } from "../lib/config";
import { costLines, fixedHourly, HOURS_PER_MONTH, PRICES } from "../lib/costs";
import { DATA_PERMISSIONS, deployerPolicy, RESOURCE_PERMISSIONS, S3_BACKEND_PERMISSION, type Permission } from "../lib/iam-permissions";
import { PORTS } from "../lib/ports";
import { CHARTS, IMAGES, KUBERNETES, LINKERD, LINKERD_DASHBOARDS, TERRAFORM_CLI, TERRAFORM_PROVIDERS, UBUNTU } from "../lib/versions";
import { detectionTable } from "./detection-table";

const ROOT = path.resolve(__dirname, "..");

/** Doc comments of lib/config/defaults.ts, by dotted setting path. */
export function settingDescriptions(source: string): Map<string, string> {
  const out = new Map<string, string>();
  const stack: string[] = [];
  let comment: string[] = [];
  let inComment = false;
  for (const line of source.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("/**")) {
      inComment = !trimmed.endsWith("*/");
      comment = [trimmed.replace(/^\/\*\*\s?/, "").replace(/\s?\*\/$/, "")];
      continue;
    }
    if (inComment) {
      if (trimmed.endsWith("*/")) inComment = false;
      comment.push(trimmed.replace(/^\*\/?\s?/, "").replace(/\s?\*\/$/, ""));
      continue;
    }
    const depth = (line.length - line.trimStart().length) / 2 - 1;
    const key = /^(\w+): /.exec(trimmed)?.[1];
    if (key !== undefined && depth >= 0) {
      stack.length = depth;
      stack.push(key);
      const text = comment.filter((c) => c !== "").join(" ");
      if (text) out.set(stack.join("."), text);
      comment = [];
    } else if (!trimmed.startsWith("//")) {
      comment = [];
    }
  }
  return out;
}

function cell(value: unknown): string {
  const text = value === null ? "unset" : typeof value === "string" ? value : JSON.stringify(value);
  return "`" + text.replace(/\|/g, "\\|") + "`";
}

export function configTable(): string {
  const descriptions = settingDescriptions(readFileSync(path.join(ROOT, "lib/config/defaults.ts"), "utf8"));
  const rows = settingPaths().map(({ path: p, default: d }) => {
    const dotted = p.join(".");
    // A leaf without its own comment inherits its group's (e.g. flowLogs.enabled).
    const description = descriptions.get(dotted) ?? descriptions.get(p.slice(0, -1).join(".")) ?? "";
    return `| \`${dotted}\` | \`${envName(p)}\` | ${cell(d)} | ${description} |`;
  });
  return ["| Setting (cdktf.json `context.config`) | Environment variable | Default | Meaning |", "|---|---|---|---|", ...rows].join("\n");
}

export function versionsTable(): string {
  const rows: Array<[string, string]> = [
    ["Kubernetes (kubeadm, kubelet, kubectl)", KUBERNETES.version],
    [`Ubuntu LTS (${UBUNTU.codename})`, UBUNTU.release],
    ["Linkerd", LINKERD.version],
    ...Object.values(CHARTS).map((c): [string, string] => [`Helm chart ${c.chart} (${c.repository})`, c.version]),
    ["Bookinfo images", `${IMAGES.bookinfo.registry}/examples-bookinfo-*:${IMAGES.bookinfo.tag}`],
    ["Load client (traffic generator, benchmark)", IMAGES.fortio],
    ["Terraform CLI (oldest accepted)", TERRAFORM_CLI.minimumVersion],
    ...Object.entries(TERRAFORM_PROVIDERS).map(([name, v]): [string, string] => [`Terraform provider hashicorp/${name}`, v]),
    ["Linkerd Grafana dashboards (grafana.com id @ revision)", Object.entries(LINKERD_DASHBOARDS).map(([n, d]) => `${n} ${d.gnetId}@${d.revision}`).join(", ")],
  ];
  return ["| Component | Version |", "|---|---|", ...rows.map(([c, v]) => `| ${c} | \`${v}\` |`)].join("\n");
}

export function portsTable(): string {
  const rows = Object.entries(PORTS).map(([name, p]) => {
    const port = "toPort" in p ? `${p.port}-${p.toPort}` : String(p.port);
    return `| ${port}/${p.protocol} | \`${name}\` | ${p.reach} | ${p.description} |`;
  });
  return ["| Port | Name | Reached from | Purpose |", "|---|---|---|---|", ...rows].join("\n");
}

const usd = (n: number, digits: number) => `$${n.toFixed(digits)}`;

/** What the default deployment costs while it runs. */
export function costTable(): string {
  const config = loadConfig({ context: DEFAULT_CONFIG, env: {} });
  const rows = costLines(config).map((l) => {
    const hour = l.hourly === null ? "usage" : usd(l.hourly, 4);
    const month = l.hourly === null ? "usage" : usd(l.hourly * HOURS_PER_MONTH, 2);
    return `| ${l.item} | ${l.quantity} | ${hour} | ${month} | ${l.note ?? ""} |`;
  });
  const total = fixedHourly(config);
  return [
    `On-demand list prices of ${PRICES.region}, USD before tax, as known on ${PRICES.asOf}; not fetched from AWS, so check them on the AWS price page named for each in \`lib/costs.ts\` (or the AWS Pricing Calculator). A month is ${HOURS_PER_MONTH} hours.`,
    "",
    "| Item | Quantity | Per hour | Per month | Note |",
    "|---|---|---|---|---|",
    ...rows,
    `| **Total while deployed** | | **${usd(total, 4)}** | **${usd(total * HOURS_PER_MONTH, 2)}** | plus the usage lines |`,
  ].join("\n");
}

/** One row per Terraform type: its AWS actions and the page that defines them. */
export function iamTable(): string {
  const row = (kind: string, type: string, p: Permission) => {
    const actions = p.actions.length === 0 ? "none" : p.actions.map((a) => `\`${a}\``).join(", ");
    return `| ${kind} \`${type}\` | ${actions} | [AWS](${p.doc})${p.note ? `; ${p.note}` : ""} |`;
  };
  return [
    "| Terraform type | Actions | Source, notes |",
    "|---|---|---|",
    ...Object.entries(RESOURCE_PERMISSIONS).map(([t, p]) => row("resource", t, p)),
    ...Object.entries(DATA_PERMISSIONS).map(([t, p]) => row("data", t, p)),
    row("backend", "s3", S3_BACKEND_PERMISSION),
  ].join("\n");
}

export function iamPolicy(): string {
  return ["```json", JSON.stringify(deployerPolicy(), null, 2), "```"].join("\n");
}

/** Generated parts of docs/iam-permissions.md. */
export const GENERATED_IAM: Record<string, () => string> = { table: iamTable, policy: iamPolicy };

export function renderIamDoc(text: string): string {
  return renderParts("docs/iam-permissions.md", text, GENERATED_IAM);
}

/** Generated parts of README.md. */
export const GENERATED: Record<string, () => string> = { cost: costTable };

/** Generated parts of docs/configuration.md: the reference tables. */
export const GENERATED_CONFIGURATION: Record<string, () => string> = { config: configTable, versions: versionsTable, ports: portsTable };

/** Generated parts of docs/apps.md: the detection times the promtool tests prove. */
export const GENERATED_APPS: Record<string, () => string> = { detection: () => detectionTable() };

function renderParts(file: string, text: string, parts: Record<string, () => string>): string {
  let out = text;
  for (const [name, render] of Object.entries(parts)) {
    const begin = `<!-- BEGIN GENERATED: ${name} -->`;
    const end = `<!-- END GENERATED: ${name} -->`;
    const start = out.indexOf(begin);
    const stop = out.indexOf(end);
    if (start < 0 || stop < start) throw new Error(`${file} lacks the markers ${begin} ... ${end}`);
    out = out.slice(0, start + begin.length) + "\n" + render() + "\n" + out.slice(stop);
  }
  return out;
}

/** README text with every generated part rendered anew. */
export function renderReadme(readme: string): string {
  return renderParts("README.md", readme, GENERATED);
}

/** docs/configuration.md with its reference tables rendered anew. */
export function renderConfigurationDoc(text: string): string {
  return renderParts("docs/configuration.md", text, GENERATED_CONFIGURATION);
}

/** docs/apps.md with its detection table rendered anew from the promtool tests. */
export function renderAppsDoc(text: string): string {
  return renderParts("docs/apps.md", text, GENERATED_APPS);
}

function main(): void {
  const docs: Array<[string, (text: string) => string]> = [
    ["README.md", renderReadme],
    ["docs/configuration.md", renderConfigurationDoc],
    ["docs/iam-permissions.md", renderIamDoc],
    ["docs/apps.md", renderAppsDoc],
  ];
  let stale = false;
  for (const [name, render] of docs) {
    const file = path.join(ROOT, name);
    const current = readFileSync(file, "utf8");
    const rendered = render(current);
    if (process.argv.includes("--check")) {
      if (rendered !== current) {
        console.error(`${name} is out of date with the code: run \`npm run docs\``);
        stale = true;
      }
      continue;
    }
    writeFileSync(file, rendered);
    console.log(rendered === current ? `${name} already up to date` : `${name} updated`);
  }
  if (stale) process.exit(1);
}

if (require.main === module) main();
