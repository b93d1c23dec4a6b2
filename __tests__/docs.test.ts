import { readFileSync } from "node:fs";
import * as path from "node:path";
import { renderAppsDoc, renderReadme, settingDescriptions } from "../scripts/docs";
import { settingPaths } from "../lib/config";

const ROOT = path.resolve(__dirname, "..");

describe("documentation", () => {
  it("README's configuration, versions and ports tables match the code (run `npm run docs`)", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(renderReadme(readme)).toBe(readme);
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
    const links = [...readme.matchAll(/\]\(((?:docs|lib)\/[^)#]+)\)/g)].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThan(0);
    const missing = links.filter((l) => {
      try {
        readFileSync(path.join(ROOT, l));
        return false;
      } catch {
        return true;
      }
    });
    expect(missing).toEqual([]);
  });
});
