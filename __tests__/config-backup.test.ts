import { ConfigError, loadConfig } from "../lib/config";
import { testConfig } from "./helpers/synth";

/** The problems loadConfig reports for a cluster override (empty when valid). */
function problems(cluster: Record<string, unknown>, env: Record<string, string> = {}): string[] {
  try {
    loadConfig({ context: { cluster }, env });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
}

describe("etcd backup and node cleanup configuration", () => {
  it("backs up hourly for a week into a bucket of its own and cleans dead workers after 10 minutes by default", () => {
    const { etcdBackup, deadNodeCleanup } = testConfig().cluster;
    expect(etcdBackup).toEqual({ enabled: true, intervalMinutes: 60, keepSnapshots: 48, noncurrentRetentionDays: 7, existingBucket: null });
    expect(deadNodeCleanup).toEqual({ enabled: true, notReadyMinutes: 10 });
  });

  it("takes every setting from the environment too", () => {
    const c = loadConfig({
      env: {
        K8S_MESH_CLUSTER__ETCD_BACKUP__INTERVAL_MINUTES: "30",
        K8S_MESH_CLUSTER__ETCD_BACKUP__EXISTING_BUCKET: "acme-etcd-backups",
        K8S_MESH_CLUSTER__DEAD_NODE_CLEANUP__NOT_READY_MINUTES: "20",
      },
    }).cluster;
    expect(c.etcdBackup).toMatchObject({ intervalMinutes: 30, existingBucket: "acme-etcd-backups" });
    expect(c.deadNodeCleanup.notReadyMinutes).toBe(20);
  });

  it.each([
    [{ etcdBackup: { intervalMinutes: 2 } }, 'cluster.etcdBackup.intervalMinutes: got 2; must be at least 5 minutes (each snapshot copies the whole etcd database)'],
    [{ etcdBackup: { intervalMinutes: 2000 } }, "cluster.etcdBackup.intervalMinutes: got 2000; must be at most 1440 minutes (one snapshot a day)"],
    [{ etcdBackup: { intervalMinutes: 7.5 } }, "cluster.etcdBackup.intervalMinutes: got 7.5; must be a whole number of minutes"],
    [{ etcdBackup: { keepSnapshots: 1 } }, "cluster.etcdBackup.keepSnapshots: got 1; must be at least 2 snapshots"],
    [
      { etcdBackup: { keepSnapshots: 102 } },
      "cluster.etcdBackup.keepSnapshots: got 102; must be at most 101 (the current snapshot and S3's limit of 100 newer noncurrent versions)",
    ],
    [{ etcdBackup: { noncurrentRetentionDays: 5000 } }, "cluster.etcdBackup.noncurrentRetentionDays: got 5000; must be at most 3650 days"],
    [
      { etcdBackup: { existingBucket: "My_Bucket" } },
      `cluster.etcdBackup.existingBucket: got "My_Bucket"; must be the name of an existing S3 bucket (3-63 lowercase letters, digits, '.', '-'); to leave it unset, use null (or an empty K8S_MESH_CLUSTER__ETCD_BACKUP__EXISTING_BUCKET)`,
    ],
    [{ etcdBackup: { enabled: "yes" } }, 'cluster.etcdBackup.enabled: got "yes"; must be true or false'],
    [{ deadNodeCleanup: { notReadyMinutes: 1 } }, "cluster.deadNodeCleanup.notReadyMinutes: got 1; must be at least 5 minutes (a rebooting node is NotReady for a few minutes)"],
    [{ deadNodeCleanup: { notReadyMinutes: 1441 } }, "cluster.deadNodeCleanup.notReadyMinutes: got 1441; must be at most 1440 minutes"],
  ])("refuses %j with one exact message", (override, message) => {
    expect(problems(override)).toEqual([message]);
  });

  it("refuses an existing bucket when backups are off", () => {
    expect(problems({ etcdBackup: { enabled: false, existingBucket: "acme-etcd-backups" } })).toEqual([
      'cluster.etcdBackup.existingBucket: got "acme-etcd-backups"; must be unset when cluster.etcdBackup.enabled is false (no snapshot would be uploaded to it)',
    ]);
    expect(problems({ etcdBackup: { enabled: false } })).toEqual([]);
  });

  it("names an unknown backup setting and lists the allowed ones", () => {
    expect(problems({ etcdBackup: { bucket: "x" } })).toEqual([
      "cluster.etcdBackup.bucket: not a setting; allowed here: enabled, intervalMinutes, keepSnapshots, noncurrentRetentionDays, existingBucket",
    ]);
  });
});
