/**
 * Every configuration default, in one place. `cdktf synth` works with these
 * alone; users override any of them through `cdktf.json` context (key
 * `config`) or environment variables (see `load.ts` and the README).
 *
 * `null` marks a setting that is off or derived unless given.
 */
import { CHARTS, IMAGES, KUBERNETES } from "../versions";
import { PORTS } from "../ports";

export const DEFAULT_CONFIG = {
  /** Prefix of every AWS name and the Kubernetes cluster name. */
  name: "k8s-mesh",
  region: "ap-northeast-2",
  /** Availability zones of the public subnets, one per subnet. */
  availabilityZones: ["ap-northeast-2a", "ap-northeast-2c"],
  /** Extra tags on every AWS resource (Project and ManagedBy are always set). */
  tags: {} as Record<string, string>,

  /** Where Terraform state lives. `local`: files under `directory` (relative to the project root). */
  backend: {
    type: "local" as "local" | "s3",
    directory: "terraform-state",
    /** S3 backend settings, used when type is `s3`. */
    s3Bucket: null as string | null,
    s3KeyPrefix: "k8s-mesh",
    s3Region: null as string | null,
  },

  network: {
    vpcCidr: "10.0.0.0/16",
    /** One public subnet per availability zone, in the same order. */
    publicSubnetCidrs: ["10.0.1.0/24", "10.0.2.0/24"],
    flowLogs: {
      enabled: false,
      retentionDays: 30,
      trafficType: "REJECT" as "ACCEPT" | "REJECT" | "ALL",
    },
  },

  access: {
    /**
     * Who may reach the API server, the NodePorts and (if enabled) SSH.
     * Empty: the deploying machine's public IPv4 (/32), looked up at plan time.
     */
    adminCidrs: [] as string[],
    /** Where the deploying machine's public IPv4 is looked up when adminCidrs is empty. */
    publicIpLookupUrl: "https://checkip.amazonaws.com",
    /** Open the NodePorts (and only them) to 0.0.0.0/0. */
    allowPublicNodePorts: false,
    /** EC2 key pair name; SSH (port 22 from adminCidrs) is opened only when set. */
    sshKeyName: null as string | null,
  },

  nodePorts: {
    bookinfo: PORTS.bookinfoNodePort.port,
    grafana: PORTS.grafanaNodePort.port,
  },

  cluster: {
    kubernetesVersion: KUBERNETES.version,
    /** Allow a Kubernetes version outside the window Linkerd stable-2.14 supports. */
    allowUnsupportedKubernetesVersion: false,
    podCidr: "10.244.0.0/16",
    serviceCidr: "10.96.0.0/12",
    /** Host number of the control plane's fixed private IP inside the first subnet. */
    controlPlaneHostNumber: 10,
    controlPlane: {
      instanceType: "t3.medium",
      rootVolumeGiB: 30,
    },
    workers: {
      count: 2,
      instanceType: "t3.large",
      rootVolumeGiB: 40,
    },
    /**
     * Bump to replace the nodes on the next deploy (new AMI, new user-data).
     * Without a bump, a newer AMI or an edited bootstrap never replaces a running node.
     */
    nodeGeneration: 1,
    /** How long the deploy waits for the API server and 1 + workers nodes. */
    readinessTimeoutMinutes: 20,
  },

  versions: {
    flannelChart: CHARTS.flannel.version,
    linkerdCrdsChart: CHARTS.linkerdCrds.version,
    linkerdControlPlaneChart: CHARTS.linkerdControlPlane.version,
    kubePrometheusStackChart: CHARTS.kubePrometheusStack.version,
    bookinfoImageTag: IMAGES.bookinfo.tag,
    fortioImage: IMAGES.fortio,
  },

  platform: {
    /** Seconds Helm waits for a release's workloads to become ready. */
    helmTimeoutSeconds: 900,
    linkerd: {
      highAvailability: false,
      /** Validity of the mesh trust anchor (root CA). */
      trustAnchorValidityHours: 87600,
      /** Validity of the identity issuer (intermediate CA); renew before it ends. */
      issuerValidityHours: 8760,
    },
    monitoring: {
      /** Prometheus retention; must cover the longest SLO window (3 days). */
      retention: "7d",
      /** Default scrape interval for everything but the mesh. */
      scrapeInterval: "30s",
      /** Scrape interval of Linkerd proxies and control plane (KPI: fresh within 5 s). */
      meshScrapeInterval: "5s",
    },
  },

  apps: {
    /** Requests per second the in-cluster traffic generator sends to productpage. */
    trafficRequestsPerSecond: 2,
    /** Relative weights of the reviews versions (the canary knob). */
    reviewsWeights: { v1: 1, v2: 1, v3: 1 } as Record<string, number>,
    benchmark: {
      enabled: false,
      requestsPerSecond: 50,
      durationSeconds: 120,
      connections: 8,
    },
  },

  alerting: {
    /** Availability objective of productpage (fraction of good requests). */
    availabilitySlo: 0.999,
    /** p99 latency (ms) above which the latency alert fires. */
    latencyP99ThresholdMs: 1000,
  },
};

/** The configuration's shape, as the defaults define it. */
export type RawConfig = typeof DEFAULT_CONFIG;
