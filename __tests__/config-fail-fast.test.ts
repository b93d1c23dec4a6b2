/**
 * Settings AWS or Kubernetes would refuse only after a deploy has started,
 * refused at synth with one message each.
 */
import { ConfigError } from "../lib/config";
import { KUBERNETES, unreleasedKubernetesVersion } from "../lib/versions";
import { testConfig } from "./helpers/synth";

function problems(context: unknown): string[] {
  try {
    testConfig(context);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
}

describe("fail fast at synth", () => {
  describe("Kubernetes version", () => {
    it("1.28 is frozen at its final patch, 1.28.15 (the default)", () => {
      expect(KUBERNETES.releasedPatches["1.28"]).toBe(15);
      expect(KUBERNETES.version).toBe("1.28.15");
      expect(problems({ cluster: { kubernetesVersion: "1.28.0" } })).toEqual([]);
      expect(problems({ cluster: { kubernetesVersion: "1.28.15" } })).toEqual([]);
    });

    it("refuses a patch that was never released", () => {
      expect(problems({ cluster: { kubernetesVersion: "1.28.16" } })).toEqual([
        'cluster.kubernetesVersion: got "1.28.16"; must be a released patch: 1.28 ends at 1.28.15 (1.28.0 to 1.28.15 exist)',
      ]);
      expect(problems({ cluster: { kubernetesVersion: "1.25.17" } })).toEqual([
        'cluster.kubernetesVersion: got "1.25.17"; must be a released patch: 1.25 ends at 1.25.16 (1.25.0 to 1.25.16 exist)',
      ]);
    });

    it("refuses a minor the list does not know, saying where to add it", () => {
      expect(problems({ cluster: { kubernetesVersion: "1.32.1", allowUnsupportedKubernetesVersion: true } })).toEqual([
        'cluster.kubernetesVersion: got "1.32.1"; must be a release of a Kubernetes minor listed in KUBERNETES.releasedPatches in lib/versions.ts (1.21 to 1.31); to deploy 1.32, add "1.32" there with its latest patch number',
      ]);
    });

    it("reports only the Linkerd window for a minor outside it (one message per setting)", () => {
      const [only, ...rest] = problems({ cluster: { kubernetesVersion: "1.20.15" } });
      expect(rest).toEqual([]);
      expect(only).toContain("must be 1.21.x to 1.28.x");
    });

    it("knows every minor of the Linkerd window", () => {
      const { min, max } = KUBERNETES.linkerdSupportedMinors;
      for (let m = min; m <= max; m++) expect(unreleasedKubernetesVersion(`1.${m}.0`)).toBeUndefined();
    });
  });

  describe("VPC and subnet sizes AWS accepts (/16 to /28)", () => {
    it.each([
      [{ network: { vpcCidr: "10.0.0.0/8" } }, 'network.vpcCidr: got "10.0.0.0/8"; must have a prefix length from /16 to /28: AWS accepts no larger and no smaller VPC or subnet'],
      [{ network: { publicSubnetCidrs: ["10.0.1.0/29", "10.0.2.0/24"] } }, 'network.publicSubnetCidrs[0]: got "10.0.1.0/29"; must have a prefix length from /16 to /28: AWS accepts no larger and no smaller VPC or subnet'],
    ])("refuses %j", (context, message) => {
      expect(problems(context)).toEqual([message]);
    });

    it("accepts both ends of the range", () => {
      expect(problems({ network: { vpcCidr: "10.0.0.0/16", publicSubnetCidrs: ["10.0.0.0/16", "10.0.0.0/28"] } })).toEqual([
        // Only the overlap: /16 and /28 themselves are fine.
        'network.publicSubnetCidrs[1]: got "10.0.0.0/28"; must not overlap network.publicSubnetCidrs[0] (10.0.0.0/16)',
      ]);
      expect(problems({ network: { publicSubnetCidrs: ["10.0.1.0/28", "10.0.2.0/28"] } })).toEqual([]);
    });
  });

  describe("tag keys", () => {
    it.each(["aws:owner", "AWS:Owner", "Aws:cost"])("refuses the reserved prefix in %s", (key) => {
      expect(problems({ tags: { [key]: "x" } })).toEqual([
        `tags: got {"${key}":"x"}; must not have a key starting with 'aws:' in any case ("${key}"): AWS reserves that prefix for its own tags and refuses to set it`,
      ]);
    });

    it("accepts a key that only contains aws", () => {
      expect(problems({ tags: { "team-aws": "x", awsAccount: "y" } })).toEqual([]);
    });
  });

  describe("vCPU quota check switch", () => {
    it("is on by default and must be a boolean", () => {
      expect(testConfig().cluster.checkVcpuQuota).toBe(true);
      expect(problems({ cluster: { checkVcpuQuota: "no" } })).toEqual(['cluster.checkVcpuQuota: got "no"; must be true or false']);
    });
  });
});
