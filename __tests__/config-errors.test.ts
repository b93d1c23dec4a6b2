/**
 * How configuration problems reach the user: all in one round, in the
 * project's words, settings outside `config` refused, environment variables
 * with a project prefix (the former one still read, with a warning), and
 * each problem printed once by the real cdktf CLI.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CROSS_FIELD_RULES } from "../lib/config/schema";
import { DEFAULT_CONFIG, loadConfig, settingPaths } from "../lib/config";
import { problems } from "./helpers/config";

function warnings(env: Record<string, string>): string[] {
  const seen: string[] = [];
  loadConfig({ env, warn: (m) => seen.push(m) });
  return seen;
}

describe("configuration problems come in one round", () => {
  it("reports field problems and cross-field problems together", () => {
    expect(
      problems({
        cluster: { workers: { instanceType: "large" } },
        nodePorts: { bookinfo: 30300, grafana: 30300 },
        platform: { monitoring: { retention: "2d" } },
      }),
    ).toEqual([
      'cluster.workers.instanceType: got "large"; must be an EC2 instance type such as t3.large',
      "nodePorts.grafana: got 30300; must differ from nodePorts.bookinfo (30300)",
      'platform.monitoring.retention: got "2d"; must be at least 3d: the slowest SLO alert window is 3 days',
    ]);
  });

  it("skips only the rules that read an invalid setting (no second, misleading message)", () => {
    expect(problems({ cluster: { workers: { count: 1.5 } }, platform: { linkerd: { highAvailability: true } }, nodePorts: { grafana: 30080 } })).toEqual([
      "cluster.workers.count: got 1.5; must be a whole number",
      "nodePorts.grafana: got 30080; must differ from nodePorts.bookinfo (30080)",
    ]);
  });

  it("skips a rule reading one invalid list entry, and runs it on a valid list", () => {
    expect(problems({ network: { publicSubnetCidrs: ["10.0.1.0/24", "10.0.1.0/33"] } })).toEqual([
      'network.publicSubnetCidrs[1]: got "10.0.1.0/33"; must be an IPv4 CIDR such as 10.0.0.0/16, with no host bits set',
    ]);
    expect(problems({ network: { publicSubnetCidrs: ["10.0.1.0/24"] }, cluster: { podCidr: "nope" } })).toEqual([
      'cluster.podCidr: got "nope"; must be an IPv4 CIDR such as 10.0.0.0/16, with no host bits set',
      'network.publicSubnetCidrs: got ["10.0.1.0/24"]; must list one subnet per availability zone (2)',
    ]);
  });

  it("keeps reading the rest when an environment value cannot be parsed", () => {
    expect(problems({ nodePorts: { bookinfo: 1 } }, { K8S_MESH_CLUSTER__WORKERS__COUNT: "two", K8S_MESH_PLATFORM__LINKERD__HIGH_AVAILABILITY: "true" })).toEqual([
      'K8S_MESH_CLUSTER__WORKERS__COUNT: got "two"; must be a number',
      "nodePorts.bookinfo: got 1; must be within the NodePort range 30000-32767",
    ]);
  });

  it("has no rule that throws on a default configuration", () => {
    expect(CROSS_FIELD_RULES.length).toBeGreaterThan(20);
    expect(() => loadConfig()).not.toThrow();
  });
});

describe("every message is in the project's words", () => {
  // Values of every wrong kind, for every setting: none may come back with the
  // validation library's own wording, and each names the setting and what is allowed.
  const wrong: unknown[] = ["x", "", 1.5, -1, 1e9, true, null, [], {}, ["x"], { k: 1 }];
  const LIBRARY_WORDING = /Invalid input|Too (big|small)|expected \w+, received|Invalid (string|option|key)|Unrecognized key/;

  it.each(settingPaths().map((s) => [s.path.join("."), s.path] as const))("%s", (_name, p) => {
    for (const value of wrong) {
      const context: Record<string, unknown> = {};
      let node = context;
      p.slice(0, -1).forEach((k) => {
        node[k] = {};
        node = node[k] as Record<string, unknown>;
      });
      node[p[p.length - 1] as string] = value;
      let found: readonly string[];
      try {
        loadConfig({ context });
        continue; // this value is allowed here
      } catch {
        found = problems(context);
      }
      for (const message of found) {
        expect(message).not.toMatch(LIBRARY_WORDING);
        expect(message).toMatch(/^[\w.[\]"-]+: (got .+; )?(must|needs|not a setting|settings go)/);
      }
    }
  });

  it.each([
    [{ access: { sshKeyName: "" } }, 'access.sshKeyName: got ""; must be the name of an EC2 key pair (1-255 characters); to leave it unset, use null (or an empty K8S_MESH_ACCESS__SSH_KEY_NAME)'],
    [{ backend: { s3Region: "Seoul" } }, 'backend.s3Region: got "Seoul"; must be an AWS region name such as ap-northeast-2 or us-east-1; to leave it unset, use null (or an empty K8S_MESH_BACKEND__S3_REGION)'],
    [{ cluster: { workers: { count: "3" } } }, 'cluster.workers.count: got "3"; must be a number, written without quotes'],
    [{ platform: { helmTimeoutSeconds: 99999 } }, "platform.helmTimeoutSeconds: got 99999; must be at most 3600"],
    [{ platform: { monitoring: { prometheusVolumeGiB: 20000 } } }, "platform.monitoring.prometheusVolumeGiB: got 20000; must be at most 16384 GiB (the largest gp3 volume)"],
    [{ access: { allowPublicNodePorts: "true" } }, 'access.allowPublicNodePorts: got "true"; must be true or false, written without quotes'],
    [{ tags: { "": "x" } }, 'tags[""]: got "x"; must have keys of 1-128 characters (AWS tag key limit)'],
    [{ availabilityZones: "ap-northeast-2a" }, 'availabilityZones: got "ap-northeast-2a"; must be a list, such as ["a", "b"]'],
    [{ cluster: "big" }, 'cluster: got "big"; must be an object of settings, such as {"key": "value"}'],
  ])("%j", (context, expected) => {
    expect(problems(context)).toEqual([expected]);
  });
});

describe("settings outside the config key", () => {
  const refused = (appContext: Record<string, unknown>) => problems(undefined, {}, appContext);

  it("refuses a setting put directly under context, naming where it goes", () => {
    expect(refused({ region: "us-east-1" })).toEqual(["context.region: settings go inside context.config; did you mean context.config.region?"]);
    expect(refused({ workers: { count: 3 } })).toEqual(["context.workers: settings go inside context.config; did you mean context.config.cluster.workers?"]);
  });

  it("refuses a misspelled wrapper", () => {
    expect(refused({ cofig: { region: "us-east-1" } })).toEqual(["context.cofig: not a context key of this project; did you mean context.config?"]);
    expect(refused({ Config: {} })).toEqual(["context.Config: not a context key of this project; did you mean context.config?"]);
  });

  it("refuses any other key", () => {
    expect(refused({ stage: "prod" })).toEqual(["context.stage: not a context key of this project; settings go inside context.config (CDKTF's own keys start with cdktf)"]);
  });

  it("leaves CDKTF's own context keys alone and reads config from the context", () => {
    const config = loadConfig({
      appContext: { config: { cluster: { workers: { count: 3 } } }, cdktfVersion: "0.21.0", cdktfRelativeModules: [], cdktfStaticModuleAssetHash: "x", "@cdktf/disable_stack_trace_in_metadata": true },
      env: {},
    });
    expect(config.cluster.workers.count).toBe(3);
  });
});

describe("environment variables", () => {
  it("use the project prefix K8S_MESH_", () => {
    expect(loadConfig({ env: { K8S_MESH_REGION: "us-east-1", K8S_MESH_AVAILABILITY_ZONES: "us-east-1a,us-east-1b" } }).region).toBe("us-east-1");
  });

  it("still read the former MESH_ names, with a warning naming the new one", () => {
    expect(loadConfig({ env: { MESH_CLUSTER__WORKERS__COUNT: "3" }, warn: () => undefined }).cluster.workers.count).toBe(3);
    expect(warnings({ MESH_CLUSTER__WORKERS__COUNT: "3" })).toEqual([
      "MESH_CLUSTER__WORKERS__COUNT: the MESH_ prefix is deprecated and will stop working; use K8S_MESH_CLUSTER__WORKERS__COUNT",
    ]);
  });

  it("prefer the new name when both are set", () => {
    const seen: string[] = [];
    expect(loadConfig({ env: { MESH_CLUSTER__WORKERS__COUNT: "3", K8S_MESH_CLUSTER__WORKERS__COUNT: "4" }, warn: (m) => seen.push(m) }).cluster.workers.count).toBe(4);
    expect(seen).toEqual(["MESH_CLUSTER__WORKERS__COUNT is ignored: K8S_MESH_CLUSTER__WORKERS__COUNT is set too (the MESH_ prefix is deprecated)"]);
  });

  it("ignore unrelated MESH_ variables (the prefix is too common to claim)", () => {
    expect(warnings({ MESH_DEBUG: "1", MESH_SKIP_MISSING_TOOLS: "1", MESH_HOME: "/opt/mesh", MESH_LOG_LEVEL: "debug" })).toEqual([]);
  });

  it("refuse a MESH_ variable that looks like a misspelled setting, with the closest new name", () => {
    expect(problems({}, { MESH_CLUSTER__WOKERS__COUNT: "3" })).toEqual(["MESH_CLUSTER__WOKERS__COUNT: not a setting; did you mean K8S_MESH_CLUSTER__WORKERS__COUNT?"]);
    expect(problems({}, { MESH_REGON: "us-east-1" })).toEqual(["MESH_REGON: not a setting; did you mean K8S_MESH_REGION?"]);
  });

  it("refuse any unknown K8S_MESH_ variable, with the closest name only", () => {
    expect(problems({}, { K8S_MESH_CLUSTR__WORKERS__COUNT: "3" })).toEqual(["K8S_MESH_CLUSTR__WORKERS__COUNT: not a setting; did you mean K8S_MESH_CLUSTER__WORKERS__COUNT?"]);
    expect(problems({}, { K8S_MESH_ADMIN_CIDRS: "203.0.113.7/32" })).toEqual(["K8S_MESH_ADMIN_CIDRS: not a setting; did you mean K8S_MESH_ACCESS__ADMIN_CIDRS?"]);
  });
});

describe("the cdktf CLI", () => {
  // The real CLI runs the app as cdktf.json says and prints what it reports.
  const root = path.resolve(__dirname, "..");
  const cdktf = path.join(root, "node_modules", ".bin", "cdktf");

  it("prints each configuration problem once, and stops", () => {
    const out = mkdtempSync(path.join(os.tmpdir(), "cdktf-out-"));
    try {
      const r = spawnSync(cdktf, ["synth", "--output", out], {
        cwd: root,
        encoding: "utf8",
        timeout: 120_000,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? os.tmpdir(),
          CI: "true",
          CHECKPOINT_DISABLE: "1",
          TF_CLI_CONFIG_FILE: "/dev/null",
          K8S_MESH_CLUSTER__WORKERS__COUNT: "0",
          K8S_MESH_REGON: "us-east-1",
        },
      });
      const text = r.stdout + r.stderr;
      expect(r.status).toBe(1);
      const count = (s: string) => text.split(s).length - 1;
      expect(count("cluster.workers.count: got 0; must be at least 1 (workloads do not run on the control plane)")).toBe(1);
      expect(count("K8S_MESH_REGON: not a setting; did you mean K8S_MESH_REGION?")).toBe(1);
      expect(text).not.toContain("[ERROR] default");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});

it("DEFAULT_CONFIG has no setting whose name is also a CDKTF context key", () => {
  expect(Object.keys(DEFAULT_CONFIG).filter((k) => k.startsWith("cdktf") || k === "config")).toEqual([]);
});
