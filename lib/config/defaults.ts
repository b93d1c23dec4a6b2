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
  /** AWS region of every resource. */
  region: "ap-northeast-2",
  /** Availability zones of the public subnets, one per subnet. */
  availabilityZones: ["ap-northeast-2a", "ap-northeast-2c"],
  /** Extra tags on every AWS resource (Project and ManagedBy are always set). */
  tags: {} as Record<string, string>,

  /** Where Terraform state lives. `local`: files under `directory` (relative to the project root). */
  backend: {
    type: "local" as "local" | "s3",
    /** Folder of the local state files, relative to the project root (kept out of cdktf.out). */
    directory: "terraform-state",
    /** S3 bucket of the state when type is `s3` (it must exist already, outside these stacks). */
    s3Bucket: null as string | null,
    /** S3 key prefix; each stack's state is `<prefix>/<stack>.tfstate`. */
    s3KeyPrefix: "k8s-mesh",
    /** Region of the state bucket; unset: the deployment's region. */
    s3Region: null as string | null,
  },

  network: {
    /** Address range of the VPC. */
    vpcCidr: "10.0.0.0/16",
    /** One public subnet per availability zone, in the same order. */
    publicSubnetCidrs: ["10.0.1.0/24", "10.0.2.0/24"],
    flowLogs: {
      /** Record VPC flow logs to CloudWatch Logs. */
      enabled: false,
      /** Days CloudWatch keeps the flow logs. */
      retentionDays: 30,
      /** Which flows to record: ACCEPT, REJECT or ALL. */
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
    /**
     * When adminCidrs is empty: `once` looks the address up on the first deploy and keeps it
     * in SSM (/<name>/network/admin-cidr), so later plans, diffs and destroys call nothing
     * outside AWS; `every-plan` looks it up on every plan (the rules follow the deployer).
     */
    adminCidrLookup: "once" as "once" | "every-plan",
    /** Open the NodePorts (and only them) to 0.0.0.0/0. */
    allowPublicNodePorts: false,
    /**
     * Accept admin CIDRs broader than a /16, or more than a /8's worth of
     * addresses together. Off: such a setting is refused (every address in it
     * reaches the API server and the NodePorts).
     */
    allowBroadAdminCidrs: false,
    /** EC2 key pair name; SSH (port 22 from adminCidrs) is opened only when set. */
    sshKeyName: null as string | null,
    /**
     * Generation of the Terraform admin identity (group
     * `<name>:terraform-admins:<generation>` in the admin certificate). After
     * revoking the current one (deleting its ClusterRoleBinding), raise it to
     * issue certificates for a new group (docs/cluster.md, Admin identity).
     */
    adminIdentityGeneration: 1,
  },

  nodePorts: {
    /** NodePort of Bookinfo's productpage (http://<node>:<port>/productpage). */
    bookinfo: PORTS.bookinfoNodePort.port,
    /** NodePort of Grafana. */
    grafana: PORTS.grafanaNodePort.port,
  },

  cluster: {
    /** Kubernetes version (full patch version; packages from pkgs.k8s.io). */
    kubernetesVersion: KUBERNETES.version,
    /** Allow a Kubernetes version outside the window Linkerd stable-2.14 supports. */
    allowUnsupportedKubernetesVersion: false,
    /** Pod network (kubeadm podSubnet and the Flannel network); outside the VPC. */
    podCidr: "10.244.0.0/16",
    /** Service (ClusterIP) network; outside the VPC and the pod network. */
    serviceCidr: "10.96.0.0/12",
    /** Host number of the control plane's fixed private IP inside the first subnet. */
    controlPlaneHostNumber: 10,
    controlPlane: {
      /** EC2 instance type of the control plane. */
      instanceType: "t3.medium",
      /** Size of the control plane's encrypted gp3 root volume, in GiB. */
      rootVolumeGiB: 30,
    },
    workers: {
      /** Number of worker nodes (Auto Scaling group size). */
      count: 2,
      /** EC2 instance type of the workers (monitoring alone needs about 2 GiB). */
      instanceType: "t3.large",
      /** Size of each worker's encrypted gp3 root volume, in GiB. */
      rootVolumeGiB: 40,
    },
    /**
     * Bump to replace the nodes on the next deploy (new AMI, new user-data).
     * Without a bump, a newer AMI or an edited bootstrap never replaces a running node.
     */
    nodeGeneration: 1,
    /** How long the deploy waits for the API server and 1 + workers nodes. */
    readinessTimeoutMinutes: 20,
    /**
     * Check at plan time that the account's On-Demand standard vCPU quota (L-1216C47A)
     * covers the nodes. Needs servicequotas:GetServiceQuota; set false where it is denied.
     */
    checkVcpuQuota: true,
    etcdBackup: {
      /** Take etcd snapshots on the control plane on a schedule and upload them to S3. */
      enabled: true,
      /** Minutes between two etcd snapshots (a systemd timer on the control plane, set when it boots). */
      intervalMinutes: 60,
      /**
       * How many of the newest snapshots the bucket this stack creates always keeps, however old
       * (so a stopped timer never empties it): the current version and the newest noncurrent ones (2-101).
       */
      keepSnapshots: 48,
      /** Days an older snapshot (beyond keepSnapshots) is still kept after a newer one replaced it. */
      noncurrentRetentionDays: 7,
      /**
       * Name of an existing S3 bucket, created outside these stacks, to upload to
       * instead (snapshots then outlive `cdktf destroy '*'`; its own lifecycle rules apply).
       * Unset: the cluster stack creates the bucket, and destroy empties and deletes it.
       */
      existingBucket: null as string | null,
    },
    deadNodeCleanup: {
      /** Delete the Node object of a worker whose EC2 instance is terminated or gone (a control-plane timer). */
      enabled: true,
      /** Minutes a worker must have been NotReady before its EC2 instance is looked up. */
      notReadyMinutes: 10,
    },
  },

  versions: {
    /** Flannel Helm chart version (the CNI). */
    flannelChart: CHARTS.flannel.version,
    /** linkerd-crds Helm chart version. */
    linkerdCrdsChart: CHARTS.linkerdCrds.version,
    /** linkerd-control-plane Helm chart version. */
    linkerdControlPlaneChart: CHARTS.linkerdControlPlane.version,
    /** kube-prometheus-stack Helm chart version. */
    kubePrometheusStackChart: CHARTS.kubePrometheusStack.version,
    /** AWS EBS CSI driver Helm chart version (the persistent-volume provisioner). */
    awsEbsCsiDriverChart: CHARTS.awsEbsCsiDriver.version,
    /** linkerd-jaeger Helm chart version (Linkerd's tracing extension). */
    linkerdJaegerChart: CHARTS.linkerdJaeger.version,
    /** Loki Helm chart version (the log store). */
    lokiChart: CHARTS.loki.version,
    /** Fluent Bit Helm chart version (the log agent on every node). */
    fluentBitChart: CHARTS.fluentBit.version,
    /** Tag of the Bookinfo images. */
    bookinfoImageTag: IMAGES.bookinfo.tag,
    /** Load client image (traffic generator and benchmark). */
    fortioImage: IMAGES.fortio,
  },

  platform: {
    /** Seconds Helm waits for a release's workloads to become ready. */
    helmTimeoutSeconds: 900,
    linkerd: {
      /** Linkerd's HA mode (3 replicas on distinct nodes; needs 3 workers). */
      highAvailability: false,
      /** Validity of the mesh trust anchor (root CA). */
      trustAnchorValidityHours: 87600,
      /** Validity of the identity issuer (intermediate CA). */
      issuerValidityHours: 8760,
      /**
       * A deploy this many hours or fewer before the issuer expires replaces it (same
       * trust anchor, so proxies keep trusting each other); must be below issuerValidityHours.
       */
      issuerEarlyRenewalHours: 720,
    },
    monitoring: {
      /** Prometheus retention; must cover the longest SLO window (3 days). */
      retention: "7d",
      /** Default scrape interval for everything but the mesh. */
      scrapeInterval: "30s",
      /** Scrape interval of Linkerd proxies and control plane (KPI: fresh within 5 s). */
      meshScrapeInterval: "5s",
      /** Size of Prometheus' persistent volume (encrypted gp3), in GiB. */
      prometheusVolumeGiB: 20,
      /**
       * Prometheus deletes its oldest data beyond this size (Prometheus units, powers of 2:
       * 16GB = 16 GiB), whichever of retention and retentionSize comes first; at most 85 % of the volume.
       */
      retentionSize: "16GB",
      /** Size of Alertmanager's persistent volume (silences, notification log), in GiB. */
      alertmanagerVolumeGiB: 1,
      /** Size of Grafana's persistent volume (its database: users, preferences, annotations), in GiB. */
      grafanaVolumeGiB: 2,
    },
    tracing: {
      /** Linkerd's Jaeger extension: proxies report spans of sampled requests; Jaeger stores them; Grafana shows them. */
      enabled: true,
      /**
       * Percentage of traces the collector keeps (decided per trace id, so a trace is kept or
       * dropped whole). Traces start at productpage, which samples every request it serves.
       */
      samplingPercentage: 100,
      /** Traces Jaeger keeps in memory (it has no disk); the oldest go first, and a restart loses them all. */
      maxTraces: 5000,
    },
    logs: {
      /** Every container's logs collected by Fluent Bit (every node) into Loki, searchable in Grafana. */
      enabled: true,
      /** Days Loki keeps log lines before its compactor deletes them. */
      retentionDays: 7,
      /** Size of Loki's persistent volume (encrypted gp3), in GiB. */
      volumeGiB: 10,
    },
    storage: {
      /**
       * How long `cdktf destroy` waits, after the monitoring namespace is gone, for the
       * EBS CSI driver to delete every volume of its StorageClass before the driver is removed.
       */
      volumeDeletionTimeoutSeconds: 600,
    },
  },

  apps: {
    /** Requests per second the in-cluster traffic generator sends to productpage. */
    trafficRequestsPerSecond: 2,
    /** Relative weights of the reviews versions (the canary knob). */
    reviewsWeights: { v1: 1, v2: 1, v3: 1 } as Record<string, number>,
    benchmark: {
      /** Deploy the mesh-overhead benchmark (an unmeshed Bookinfo copy and a load Job). */
      enabled: false,
      /** Benchmark load: requests per second, against each copy. */
      requestsPerSecond: 50,
      /** Benchmark load: seconds per run. */
      durationSeconds: 120,
      /** Benchmark load: concurrent connections. */
      connections: 8,
    },
  },

  alerting: {
    /**
     * Send pages and tickets to a Slack-compatible webhook. On: the deploy needs
     * TF_VAR_alertmanager_webhook_url (no default: a deploy without it fails). Off:
     * Alertmanager groups and shows alerts but notifies no one.
     */
    webhookEnabled: false,
    /** Availability objective of productpage (fraction of good requests). */
    availabilitySlo: 0.999,
    /** p99 latency (ms) above which the latency alert fires. */
    latencyP99ThresholdMs: 1000,
  },
};

/** The configuration's shape, as the defaults define it. */
export type RawConfig = typeof DEFAULT_CONFIG;
