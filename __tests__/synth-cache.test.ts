/**
 * The stacks that test files share within a run (helpers/synth-cache.ts):
 * a shared entry must never stand in for a different config, a tampered
 * build, or older code.
 */
import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { readShared, sourceDigest, SYNTH_CACHE_ENV, writeShared } from "./helpers/synth-cache";

// This file gets a directory of its own, so the planted entries below reach no other file.
const dir = mkdtempSync(path.join(tmpdir(), "shared-stacks-test-"));
process.env[SYNTH_CACHE_ENV] = dir;

describe("shared stacks", () => {
  it("are stored per config: another config's entry is never read", () => {
    writeShared("app", JSON.stringify({ name: "one" }), { network: "{}" });
    expect(readShared("app", JSON.stringify({ name: "one" }))).toEqual({ network: "{}" });
    expect(readShared("app", JSON.stringify({ name: "two" }))).toBeUndefined();
    expect(readShared("network", JSON.stringify({ name: "one" }))).toBeUndefined();
    // Written whole and renamed into place: no partial file is left behind.
    expect(readdirSync(dir).filter((f) => !f.endsWith(".json"))).toEqual([]);
  });

  it("are what synthApp and synthNetwork return for that config, while a tampered build never reads them", () => {
    jest.isolateModules(() => {
      const { synthApp, synthNetwork } = require("./helpers/synth") as typeof import("./helpers/synth");
      const context = { name: "planted" };
      writeShared("app", JSON.stringify(context), { network: '{"planted":"app"}' });
      writeShared("network", JSON.stringify(context), { network: '{"planted":"network"}' });
      expect(synthApp(context).stack("network").tf).toEqual({ planted: "app" });
      expect(synthNetwork(context).tf).toEqual({ planted: "network" });
      // A tamper hook means a deliberately different stack: it must be built, so the hook runs.
      const built = new Error("built");
      expect(() => synthApp(context, () => { throw built; })).toThrow(built);
      expect(() => synthNetwork(context, () => { throw built; })).toThrow(built);
    });
  });

  it("are keyed by every source file synthesis reads: a changed or added file gives another digest", () => {
    const root = mkdtempSync(path.join(tmpdir(), "digest-"));
    mkdirSync(path.join(root, "stacks", "cluster"), { recursive: true });
    writeFileSync(path.join(root, "stacks", "cluster", "init.sh"), "echo one\n");
    writeFileSync(path.join(root, "main.ts"), "main\n");
    const inputs = ["stacks", "main.ts"];
    const before = sourceDigest(root, inputs);
    expect(sourceDigest(root, inputs)).toBe(before);
    writeFileSync(path.join(root, "stacks", "cluster", "init.sh"), "echo two\n");
    const changed = sourceDigest(root, inputs);
    expect(changed).not.toBe(before);
    writeFileSync(path.join(root, "stacks", "cluster", "join.sh"), "");
    expect(sourceDigest(root, inputs)).not.toBe(changed);
  });
});

describe("plain stack traces while stacks are built", () => {
  it("put the previous formatter back, also when the build throws, so the error reads as usual", () => {
    const { withPlainStackTraces } = require("./helpers/plain-stack-traces") as typeof import("./helpers/plain-stack-traces");
    const previous = Error.prepareStackTrace;
    let inside: typeof Error.prepareStackTrace | null = null;
    expect(() =>
      withPlainStackTraces(() => {
        inside = Error.prepareStackTrace;
        throw new Error("bad config");
      }),
    ).toThrow("bad config");
    expect(inside).not.toBe(previous);
    expect(Error.prepareStackTrace).toBe(previous);
  });
});
