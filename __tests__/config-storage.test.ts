/**
 * The persistent-volume settings: sizes, Prometheus' size-based retention,
 * the destroy-time wait, and the tags that also go to the EBS CSI driver.
 * Each rule is tested with its exact message.
 */
import { DEFAULT_CONFIG, envName, loadConfig } from "../lib/config";
import { prometheusSizeBytes } from "../lib/config/schema";
import { CHARTS } from "../lib/versions";
import { problems } from "./helpers/config";

const monitoring = (m: Record<string, unknown>) => ({ platform: { monitoring: m } });

describe("storage settings", () => {
  it("default to volumes that fit the defaults' retention, and the pinned driver chart", () => {
    const c = loadConfig();
    expect(c.platform.monitoring).toMatchObject({ prometheusVolumeGiB: 20, retentionSize: "16GB", alertmanagerVolumeGiB: 1, grafanaVolumeGiB: 2 });
    expect(c.platform.storage.volumeDeletionTimeoutSeconds).toBe(600);
    expect(c.versions.awsEbsCsiDriverChart).toBe(CHARTS.awsEbsCsiDriver.version);
    expect(DEFAULT_CONFIG.versions.awsEbsCsiDriverChart).toBe(CHARTS.awsEbsCsiDriver.version);
  });

  it("are read from environment variables", () => {
    expect(envName(["platform", "monitoring", "prometheusVolumeGiB"])).toBe("K8S_MESH_PLATFORM__MONITORING__PROMETHEUS_VOLUME_GIB");
    const c = loadConfig({ env: { K8S_MESH_PLATFORM__MONITORING__PROMETHEUS_VOLUME_GIB: "100", K8S_MESH_PLATFORM__MONITORING__RETENTION_SIZE: "80GB" } });
    expect(c.platform.monitoring.prometheusVolumeGiB).toBe(100);
    expect(c.platform.monitoring.retentionSize).toBe("80GB");
  });

  it("accept a retention size of exactly 85 % of the volume", () => {
    expect(loadConfig({ context: monitoring({ prometheusVolumeGiB: 100, retentionSize: "85GB" }) }).platform.monitoring.retentionSize).toBe("85GB");
    expect(loadConfig({ context: monitoring({ retentionSize: "17000MB" }) }).platform.monitoring.retentionSize).toBe("17000MB");
  });

  describe("reject, naming the setting, the bad value and what is allowed:", () => {
    const cases: Array<[string, unknown, string]> = [
      ["a zero-sized volume", monitoring({ alertmanagerVolumeGiB: 0 }), "platform.monitoring.alertmanagerVolumeGiB: got 0; must be at least 1 GiB (the smallest gp3 volume)"],
      ["a fractional volume size", monitoring({ grafanaVolumeGiB: 1.5 }), "platform.monitoring.grafanaVolumeGiB: got 1.5; must be a whole number of GiB"],
      ["a volume beyond gp3's largest", monitoring({ prometheusVolumeGiB: 20000 }), "platform.monitoring.prometheusVolumeGiB: got 20000; must be at most 16384 GiB (the largest gp3 volume)"],
      ["a size in a unit Prometheus does not read", monitoring({ retentionSize: "16Gi" }), 'platform.monitoring.retentionSize: got "16Gi"; must be a Prometheus size: a whole number and B, KB, MB, GB or TB, such as 16GB'],
      ["a size without a unit", monitoring({ retentionSize: "16" }), 'platform.monitoring.retentionSize: got "16"; must be a Prometheus size: a whole number and B, KB, MB, GB or TB, such as 16GB'],
      [
        "a retention size that would fill the volume",
        monitoring({ prometheusVolumeGiB: 20, retentionSize: "18GB" }),
        'platform.monitoring.retentionSize: got "18GB"; must be at most 85 % of platform.monitoring.prometheusVolumeGiB (20 GiB), i.e. at most 17GB: Prometheus needs room to compact blocks and write its WAL',
      ],
      [
        "a smaller volume under the default retention size",
        monitoring({ prometheusVolumeGiB: 10 }),
        'platform.monitoring.retentionSize: got "16GB"; must be at most 85 % of platform.monitoring.prometheusVolumeGiB (10 GiB), i.e. at most 8GB: Prometheus needs room to compact blocks and write its WAL',
      ],
      ["a destroy wait too short to delete a volume", { platform: { storage: { volumeDeletionTimeoutSeconds: 30 } } }, "platform.storage.volumeDeletionTimeoutSeconds: got 30; must be at least 60 seconds (deleting a volume takes up to a minute)"],
      ["a destroy wait over an hour", { platform: { storage: { volumeDeletionTimeoutSeconds: 7200 } } }, "platform.storage.volumeDeletionTimeoutSeconds: got 7200; must be at most 3600 seconds"],
      ["an unknown storage setting", { platform: { storage: { timeout: 5 } } }, "platform.storage.timeout: not a setting; allowed here: volumeDeletionTimeoutSeconds"],
      ["a driver chart version that is not a version", { versions: { awsEbsCsiDriverChart: "latest" } }, 'versions.awsEbsCsiDriverChart: got "latest"; must be a version such as 1.2.3'],
      [
        "a tag value with a comma",
        { tags: { CostCenter: "a,b" } },
        'tags.CostCenter: got "a,b"; must not contain \',\': the tags also go to the EBS CSI driver as a key=value,key=value list',
      ],
      [
        "a tag key with an equals sign",
        { tags: { "a=b": "c" } },
        'tags: got {"a=b":"c"}; must not have a key containing \',\' or \'=\' ("a=b"): the tags also go to the EBS CSI driver as a key=value,key=value list',
      ],
    ];
    it.each(cases)("%s", (_what, context, expected) => {
      expect(problems(context)).toEqual([expected]);
    });
  });
});

describe("prometheusSizeBytes", () => {
  it("reads Prometheus units as powers of 2", () => {
    expect(prometheusSizeBytes("1KB")).toBe(1024);
    expect(prometheusSizeBytes("16GB")).toBe(16 * 2 ** 30);
    expect(prometheusSizeBytes("2TB")).toBe(2 * 2 ** 40);
    expect(prometheusSizeBytes("12")).toBeNaN();
  });
});
