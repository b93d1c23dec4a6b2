import { DEFAULT_CONFIG, envName, loadConfig, settingPaths } from "../lib/config";
import { problems } from "./helpers/config";

/** 257 distinct /16s: each narrow enough, together one /16 more than a /8. */
const MANY_SLASH_16S = Array.from({ length: 257 }, (_, i) => `${10 + Math.floor(i / 256)}.${i % 256}.0.0/16`);

describe("configuration", () => {
  it("is valid with no input at all", () => {
    const config = loadConfig();
    expect(config.region).toBe("ap-northeast-2");
    expect(config.cluster.workers.count).toBe(2);
    expect(config.nodePorts).toEqual({ bookinfo: 30080, grafana: 30300 });
  });

  it("takes cdktf.json context over defaults and environment variables over both", () => {
    const config = loadConfig({
      context: { cluster: { workers: { count: 3 } }, region: "us-east-1", availabilityZones: ["us-east-1a", "us-east-1b"] },
      env: { K8S_MESH_CLUSTER__WORKERS__COUNT: "4", K8S_MESH_ACCESS__ADMIN_CIDRS: "203.0.113.7/32, 198.51.100.0/24", K8S_MESH_APPS__REVIEWS_WEIGHTS: '{"v1":0,"v3":1}' },
    });
    expect(config.cluster.workers.count).toBe(4);
    expect(config.region).toBe("us-east-1");
    expect(config.access.adminCidrs).toEqual(["203.0.113.7/32", "198.51.100.0/24"]);
    expect(config.apps.reviewsWeights).toEqual({ v1: 0, v3: 1 });
    expect(config.cluster.controlPlane.instanceType).toBe("t3.medium");
  });

  it("reads an empty environment value as null for settings that may be unset", () => {
    expect(loadConfig({ context: { access: { sshKeyName: "ops" } }, env: { K8S_MESH_ACCESS__SSH_KEY_NAME: "" } }).access.sshKeyName).toBeNull();
  });

  it("names an environment variable for every setting", () => {
    const names = settingPaths().map((s) => envName(s.path));
    expect(names).toContain("K8S_MESH_CLUSTER__WORKERS__COUNT");
    expect(names).toContain("K8S_MESH_NODE_PORTS__GRAFANA");
    expect(names).toContain("K8S_MESH_TAGS");
    expect(new Set(names).size).toBe(names.length);
  });

  it("lists every problem at once", () => {
    expect(problems({ cluster: { workers: { count: 0 } }, nodePorts: { grafana: 80 } })).toHaveLength(2);
  });

  describe("rejects, naming the setting, the bad value and what is allowed:", () => {
    const cases: Array<[string, unknown, string]> = [
      ["a malformed CIDR", { network: { vpcCidr: "10.0.0.0/33" } }, 'network.vpcCidr: got "10.0.0.0/33"; must be an IPv4 CIDR such as 10.0.0.0/16, with no host bits set'],
      ["a CIDR with host bits", { cluster: { podCidr: "10.244.1.0/16" } }, 'cluster.podCidr: got "10.244.1.0/16"; must be an IPv4 CIDR such as 10.0.0.0/16, with no host bits set'],
      ["a subnet outside the VPC", { network: { publicSubnetCidrs: ["10.0.1.0/24", "10.1.2.0/24"] } }, 'network.publicSubnetCidrs[1]: got "10.1.2.0/24"; must lie inside the VPC 10.0.0.0/16'],
      ["overlapping subnets", { network: { publicSubnetCidrs: ["10.0.0.0/23", "10.0.1.0/24"] } }, 'network.publicSubnetCidrs[1]: got "10.0.1.0/24"; must not overlap network.publicSubnetCidrs[0] (10.0.0.0/23)'],
      ["fewer subnets than zones", { network: { publicSubnetCidrs: ["10.0.1.0/24"] } }, 'network.publicSubnetCidrs: got ["10.0.1.0/24"]; must list one subnet per availability zone (2)'],
      ["a single availability zone", { availabilityZones: ["ap-northeast-2a"], network: { publicSubnetCidrs: ["10.0.1.0/24"] } }, 'availabilityZones: got ["ap-northeast-2a"]; must list at least 2 availability zones'],
      ["a zone of another region", { availabilityZones: ["ap-northeast-2a", "us-east-1b"] }, 'availabilityZones[1]: got "us-east-1b"; must be a zone of region ap-northeast-2, e.g. ap-northeast-2a'],
      ["a pod CIDR overlapping the VPC", { cluster: { podCidr: "10.0.128.0/17" } }, 'cluster.podCidr: got "10.0.128.0/17"; must not overlap the VPC 10.0.0.0/16'],
      ["a service CIDR overlapping the pod CIDR", { cluster: { serviceCidr: "10.244.0.0/20" } }, 'cluster.serviceCidr: got "10.244.0.0/20"; must not overlap cluster.podCidr 10.244.0.0/16'],
      ["a worker count below 1", { cluster: { workers: { count: 0 } } }, "cluster.workers.count: got 0; must be at least 1 (workloads do not run on the control plane)"],
      ["a fractional worker count", { cluster: { workers: { count: 1.5 } } }, "cluster.workers.count: got 1.5; must be a whole number"],
      ["a NodePort below the range", { nodePorts: { bookinfo: 8080 } }, "nodePorts.bookinfo: got 8080; must be within the NodePort range 30000-32767"],
      ["a NodePort above the range", { nodePorts: { grafana: 40000 } }, "nodePorts.grafana: got 40000; must be within the NodePort range 30000-32767"],
      ["duplicated NodePorts", { nodePorts: { bookinfo: 30300, grafana: 30300 } }, "nodePorts.grafana: got 30300; must differ from nodePorts.bookinfo (30300)"],
      ["an unknown region format", { region: "Seoul" }, 'region: got "Seoul"; must be an AWS region name such as ap-northeast-2 or us-east-1'],
      ["0.0.0.0/0 as an admin CIDR", { access: { adminCidrs: ["0.0.0.0/0"] } }, 'access.adminCidrs[0]: got "0.0.0.0/0"; must not be a /0: the API server and SSH are never open to the internet (to open only the NodePorts, set access.allowPublicNodePorts)'],
      [
        "an admin CIDR broader than a /16 (CKV_AWS_24's spirit: no wide ingress to the API server)",
        { access: { adminCidrs: ["203.0.113.7/32", "10.0.0.0/15"] } },
        'access.adminCidrs[1]: got "10.0.0.0/15"; must be a /16 or narrower: it opens the API server and the NodePorts to 131072 addresses (set access.allowBroadAdminCidrs to true if you mean it)',
      ],
      [
        "admin CIDRs that together cover more than a /8",
        { access: { adminCidrs: MANY_SLASH_16S } },
        `access.adminCidrs: got ${JSON.stringify(MANY_SLASH_16S)}; must cover at most 16777216 addresses (a /8) together; they cover 16842752 (set access.allowBroadAdminCidrs to true if you mean it)`,
      ],
      ["a non-https IP lookup URL", { access: { publicIpLookupUrl: "http://checkip.amazonaws.com" } }, `access.publicIpLookupUrl: got "http://checkip.amazonaws.com"; must be an https:// URL that answers with the caller's IPv4`],
      ["a misspelled setting", { cluster: { wokers: 3 } }, "cluster.wokers: not a setting; did you mean cluster.workers?"],
      ["an unknown setting", { cluster: { size: 3 } }, `cluster.size: not a setting; allowed here: ${Object.keys(DEFAULT_CONFIG.cluster).join(", ")}`],
      ["an instance type that is not one", { cluster: { workers: { instanceType: "large" } } }, 'cluster.workers.instanceType: got "large"; must be an EC2 instance type such as t3.large'],
      ["a root volume too small", { cluster: { controlPlane: { rootVolumeGiB: 8 } } }, "cluster.controlPlane.rootVolumeGiB: got 8; must be at least 20 GiB (images, etcd, logs)"],
      ["a control-plane address AWS reserves", { cluster: { controlPlaneHostNumber: 2 } }, "cluster.controlPlaneHostNumber: got 2; must be between 4 and 254: a usable address of the first subnet 10.0.1.0/24"],
      ["a Kubernetes version that is not one", { cluster: { kubernetesVersion: "1.28" } }, 'cluster.kubernetesVersion: got "1.28"; must be a full Kubernetes version such as 1.28.15'],
      [
        "a Kubernetes minor newer than Linkerd 2.14 supports",
        { cluster: { kubernetesVersion: "1.30.4" } },
        'cluster.kubernetesVersion: got "1.30.4"; must be 1.21.x to 1.28.x: Linkerd stable-2.14 supports only those minors (set cluster.allowUnsupportedKubernetesVersion to true to deploy another version at your own risk)',
      ],
      [
        "a Kubernetes minor older than Linkerd 2.14 supports",
        { cluster: { kubernetesVersion: "1.20.15" } },
        'cluster.kubernetesVersion: got "1.20.15"; must be 1.21.x to 1.28.x: Linkerd stable-2.14 supports only those minors (set cluster.allowUnsupportedKubernetesVersion to true to deploy another version at your own risk)',
      ],
      ["an S3 backend without a bucket", { backend: { type: "s3" } }, "backend.s3Bucket: got null; must be set when backend.type is 's3'"],
      ["a backend type that does not exist", { backend: { type: "gcs" } }, `backend.type: got "gcs"; must be 'local' or 's3'`],
      ["Linkerd HA on two workers", { platform: { linkerd: { highAvailability: true } } }, "platform.linkerd.highAvailability: got true; needs cluster.workers.count of at least 3 (it is 2): HA runs 3 replicas on distinct nodes"],
      ["an issuer outliving its trust anchor", { platform: { linkerd: { issuerValidityHours: 100000 } } }, "platform.linkerd.issuerValidityHours: got 100000; must not exceed platform.linkerd.trustAnchorValidityHours (87600)"],
      [
        "an issuer renewal window as long as the issuer's validity",
        { platform: { linkerd: { issuerValidityHours: 720 } } },
        "platform.linkerd.issuerEarlyRenewalHours: got 720; must be less than platform.linkerd.issuerValidityHours (720): otherwise every deploy replaces the issuer",
      ],
      ["a zero issuer renewal window", { platform: { linkerd: { issuerEarlyRenewalHours: 0 } } }, "platform.linkerd.issuerEarlyRenewalHours: got 0; must be at least 1 hours"],
      ["a mesh scrape interval above 5 s", { platform: { monitoring: { meshScrapeInterval: "10s" } } }, 'platform.monitoring.meshScrapeInterval: got "10s"; must be between 1s and 5s (KPI: mesh metrics fresh within 5 s)'],
      ["a retention shorter than the slowest SLO window", { platform: { monitoring: { retention: "2d" } } }, 'platform.monitoring.retention: got "2d"; must be at least 3d: the slowest SLO alert window is 3 days'],
      ["a duration Prometheus cannot read", { platform: { monitoring: { retention: "7 days" } } }, 'platform.monitoring.retention: got "7 days"; must be a Prometheus duration such as 5s, 30s, 7d'],
      ["all reviews weights zero", { apps: { reviewsWeights: { v1: 0, v2: 0, v3: 0 } } }, 'apps.reviewsWeights: got {"v1":0,"v2":0,"v3":0}; must give at least one reviews version a positive weight'],
      ["a negative reviews weight", { apps: { reviewsWeights: { v1: -1 } } }, "apps.reviewsWeights.v1: got -1; must be 0 or more"],
      ["a fractional reviews weight", { apps: { reviewsWeights: { v2: 0.5 } } }, "apps.reviewsWeights.v2: got 0.5; must be a whole number"],
      ["an unknown reviews version", { apps: { reviewsWeights: { v4: 1 } } }, "apps.reviewsWeights.v4: not a setting; allowed here: v1, v2, v3"],
      ["an SLO of 100 %", { alerting: { availabilitySlo: 1 } }, "alerting.availabilitySlo: got 1; must be a fraction above 0.5 and below 1, e.g. 0.999"],
      ["a webhook URL in the configuration (it is a secret: TF_VAR_alertmanager_webhook_url)", { alerting: { webhookUrl: "https://hooks.example.invalid/x" } }, "alerting.webhookUrl: not a setting; allowed here: webhookEnabled, availabilitySlo, latencyP99ThresholdMs"],
      ["a webhook switch that is not a boolean", { alerting: { webhookEnabled: "yes" } }, 'alerting.webhookEnabled: got "yes"; must be true or false'],
      ["a project name with capitals", { name: "MyCluster" }, 'name: got "MyCluster"; must be 3-24 characters of lowercase letters, digits and \'-\', starting with a letter'],
    ];

    it.each(cases)("%s", (_what, context, expected) => {
      expect(problems(context)).toEqual([expected]);
    });

    it("an environment variable that is not a setting, with the closest name only", () => {
      expect(problems({}, { K8S_MESH_WORKER_COUNT: "3" })).toEqual(["K8S_MESH_WORKER_COUNT: not a setting; did you mean K8S_MESH_CLUSTER__WORKERS__COUNT?"]);
    });

    it("an environment value of the wrong type", () => {
      expect(problems({}, { K8S_MESH_CLUSTER__WORKERS__COUNT: "two" })).toEqual(['K8S_MESH_CLUSTER__WORKERS__COUNT: got "two"; must be a number']);
      expect(problems({}, { K8S_MESH_ACCESS__ALLOW_PUBLIC_NODE_PORTS: "yes" })).toEqual(['K8S_MESH_ACCESS__ALLOW_PUBLIC_NODE_PORTS: got "yes"; must be true or false']);
    });

    it("a context that is not an object", () => {
      expect(problems("workers=3")).toEqual(['context.config: got "workers=3"; must be an object of settings, such as {"region": "us-east-1"}']);
    });
  });

  describe("admin CIDRs", () => {
    const halves = ["0.0.0.0/1", "128.0.0.0/1"];
    const broad = "(set access.allowBroadAdminCidrs to true if you mean it)";

    it("refuses two halves of the internet, each for its width and together as a /0", () => {
      expect(problems({ access: { adminCidrs: halves } })).toEqual([
        `access.adminCidrs[0]: got "0.0.0.0/1"; must be a /16 or narrower: it opens the API server and the NodePorts to 2147483648 addresses ${broad}`,
        `access.adminCidrs[1]: got "128.0.0.0/1"; must be a /16 or narrower: it opens the API server and the NodePorts to 2147483648 addresses ${broad}`,
        `access.adminCidrs: got ${JSON.stringify(halves)}; must not cover every IPv4 address: together they open the API server to the internet, as a /0 would`,
      ]);
    });

    it("refuses the whole internet even with access.allowBroadAdminCidrs", () => {
      expect(problems({ access: { adminCidrs: halves, allowBroadAdminCidrs: true } })).toEqual([
        `access.adminCidrs: got ${JSON.stringify(halves)}; must not cover every IPv4 address: together they open the API server to the internet, as a /0 would`,
      ]);
    });

    it("accepts broad ranges only with access.allowBroadAdminCidrs", () => {
      const config = loadConfig({ context: { access: { adminCidrs: ["10.0.0.0/15", ...MANY_SLASH_16S], allowBroadAdminCidrs: true } } });
      expect(config.access.adminCidrs).toHaveLength(258);
    });

    it("accepts a /16 exactly, and counts overlapping ranges once", () => {
      expect(loadConfig({ context: { access: { adminCidrs: ["198.51.0.0/16"] } } }).access.adminCidrs).toEqual(["198.51.0.0/16"]);
      const repeated = Array.from({ length: 300 }, () => "10.1.0.0/16");
      expect(loadConfig({ context: { access: { adminCidrs: repeated } } }).access.adminCidrs).toHaveLength(300);
    });
  });

  it("accepts an unsupported Kubernetes version only with the explicit override", () => {
    expect(loadConfig({ context: { cluster: { kubernetesVersion: "1.30.4", allowUnsupportedKubernetesVersion: true } } }).cluster.kubernetesVersion).toBe("1.30.4");
  });

  it("keeps every default valid against its own rules", () => {
    expect(() => loadConfig({ context: DEFAULT_CONFIG })).not.toThrow();
  });
});
