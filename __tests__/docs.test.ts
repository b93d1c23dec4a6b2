import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { renderAppsDoc, renderConfigurationDoc, renderReadme, settingDescriptions } from "../scripts/docs";
import { settingPaths } from "../lib/config";

const ROOT = path.resolve(__dirname, "..");

describe("documentation", () => {
  it("README's cost table matches the code (run `npm run docs`)", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("<!-- BEGIN GENERATED: cost -->");
    expect(renderReadme(readme)).toBe(readme);
  });

  it("docs/configuration.md's settings, versions and ports tables match the code (run `npm run docs`)", () => {
    const doc = readFileSync(path.join(ROOT, "docs/configuration.md"), "utf8");
    expect(renderConfigurationDoc(doc)).toBe(doc);
    expect(doc).toContain("| `cluster.workers.count` | `K8S_MESH_CLUSTER__WORKERS__COUNT` | `2` |");
  });

  it("keeps the reference tables out of the README, which links to them", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).not.toMatch(/GENERATED: (config|versions|ports)/);
    expect(readme).toContain("[docs/configuration.md](docs/configuration.md)");
  });

  it("docs/apps.md's detection table is the one the promtool tests prove (run `npm run docs`)", () => {
    const apps = readFileSync(path.join(ROOT, "docs/apps.md"), "utf8");
    expect(apps).toContain("ProductpageErrorBudgetFastBurn` (page) at 61m30s");
    expect(renderAppsDoc(apps)).toBe(apps);
  });

  it("describes every setting in lib/config/defaults.ts", () => {
    const descriptions = settingDescriptions(readFileSync(path.join(ROOT, "lib/config/defaults.ts"), "utf8"));
    const undocumented = settingPaths()
      .map((s) => s.path)
      .filter((p) => !descriptions.has(p.join(".")) && !descriptions.has(p.slice(0, -1).join(".")))
      .map((p) => p.join("."));
    expect(undocumented).toEqual([]);
  });

  it("links only to documentation files that exist", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\(((?:docs|lib|examples)\/[^)#]*)[)#]/g)].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThan(0);
    const missing = links.filter((l) => !existsSync(path.join(ROOT, l)));
    expect(missing).toEqual([]);
  });
});
