import { Construct } from "constructs";
import { TerraformOutput, Token } from "cdktf";
import { DataAwsInstances } from "@cdktf/provider-aws/lib/data-aws-instances";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import type { Config } from "../../lib/config";
import { PORTS } from "../../lib/ports";
import { ProjectStack, STACK_NAMES } from "../../lib/stack-base";
import { OUTPUT_NAMES } from "../../lib/stack-outputs";
import type { NetworkOutputs } from "../network/network-stack";
import { ClusterKey } from "./cluster-key";
import { AdminCertParameter } from "./admin-cert-parameter";
import { ClusterSecrets } from "./cluster-secrets";
import { ServiceAccountIssuer } from "./service-account-issuer";
import { ControlPlane } from "./control-plane";
import { DeadNodeCleanup } from "./dead-node-cleanup";
import { EtcdBackup } from "./etcd-backup";
import { NodeGeneration } from "./node-generation";
import { architectureOf, NodeImage } from "./node-image";
import { NodeRoles } from "./node-roles";
import type { ClusterOutputs } from "./outputs";
import { ReadinessGate } from "./readiness-gate";
import { Workers } from "./workers";
import { WorkerLaunchHook } from "./worker-launch-hook";

/**
 * The Kubernetes cluster: a kubeadm control plane on a fixed address and an
 * Auto Scaling group of workers, bootstrapped by user-data alone. The deploy
 * ends when the API server answers the admin certificate and every node has
 * registered (ReadinessGate).
 */
export class ClusterStack extends ProjectStack {
  readonly outputs: ClusterOutputs;

  constructor(scope: Construct, config: Config, network: NetworkOutputs) {
    super(scope, STACK_NAMES.cluster, config);
    new TimeProvider(this, "time");
    const { cluster } = config;
    const firstSubnet = network.subnetIds[0];
    if (firstSubnet === undefined) throw new Error("the network stack has no subnet");

    const key = new ClusterKey(this, "key", { config });
    const secrets = new ClusterSecrets(this, "secrets", { config, key });
    const roles = new NodeRoles(this, "roles", { config, secrets, key });
    // The control plane's own jobs: etcd snapshots, dead-worker cleanup. No
    // node role may touch EBS volumes: the EBS CSI controller assumes a role of
    // its own by web identity (the platform stack; the issuer below).
    const etcdBackup = cluster.etcdBackup.enabled ? new EtcdBackup(this, "etcd-backup", { config, controlPlaneRole: roles.controlPlane, key }) : undefined;
    const nodeCleanup = cluster.deadNodeCleanup.enabled ? new DeadNodeCleanup(this, "dead-node-cleanup", { controlPlaneRole: roles.controlPlane }) : undefined;
    const adminCert = new AdminCertParameter(this, "admin-cert", { config, adminCertPem: secrets.adminCertPem, controlPlaneRole: roles.controlPlane });
    // Pods assume IAM roles with projected tokens this issuer signs (no access keys).
    const issuer = new ServiceAccountIssuer(this, "service-account-issuer", { config, key, controlPlaneRole: roles.controlPlane });
    const controlPlaneGrants = [...(etcdBackup?.grants ?? []), ...(nodeCleanup ? [nodeCleanup.policy] : []), adminCert.parameter, adminCert.grant, ...issuer.grants];
    const generation = new NodeGeneration(this, "node-generation", { generation: cluster.nodeGeneration });
    const images = new Map<string, NodeImage>();
    const imageFor = (instanceType: string) => {
      const arch = architectureOf(instanceType);
      const image = images.get(arch) ?? new NodeImage(this, `ubuntu-${arch}`, { architecture: arch });
      images.set(arch, image);
      return image.ami.id;
    };

    const controlPlane = new ControlPlane(this, "control-plane", {
      config,
      subnetId: firstSubnet,
      securityGroupIds: [network.clusterSecurityGroupId, network.controlPlaneSecurityGroupId],
      amiId: imageFor(cluster.controlPlane.instanceType),
      role: roles.controlPlane,
      bootDependencies: [key.key, secrets.caKeyParameter, secrets.caCertParameter, secrets.joinTokenParameter, secrets.secretsEncryptionKeyParameter, ...controlPlaneGrants],
      generation: generation.keeper,
    });
    const launchHook = new WorkerLaunchHook(this, "launch-hook", { config, role: roles.workers, partition: roles.partition.partition });
    const workers = new Workers(this, "workers", {
      config,
      subnetIds: network.subnetIds,
      securityGroupId: network.clusterSecurityGroupId,
      amiId: imageFor(cluster.workers.instanceType),
      role: roles.workers,
      bootDependencies: [key.key, secrets.caCertParameter, secrets.joinTokenParameter],
      generation: generation.keeper,
      launchHook,
    });

    const publicIp = controlPlane.eip.publicIp;
    const apiServerUrl = `https://${publicIp}:${PORTS.kubeApiServer.port}`;
    const readiness = new ReadinessGate(this, "readiness", {
      apiServerUrl,
      caCertificatePem: secrets.caCertPem,
      clientCertificatePem: secrets.adminCertPem,
      clientKeyPem: secrets.adminKeyPem,
      expectedNodes: 1 + cluster.workers.count,
      timeoutMinutes: cluster.readinessTimeoutMinutes,
      region: config.region,
      controlPlaneInstanceId: controlPlane.instance.id,
      workerGroupName: workers.group.name,
      triggers: {
        control_plane_instance: controlPlane.instance.id,
        workers_group: workers.group.id,
        workers_launch_template: `${workers.launchTemplate.id}:${Token.asString(workers.launchTemplate.latestVersion)}`,
        expected_nodes: String(1 + cluster.workers.count),
      },
      dependsOn: [controlPlane.instance, controlPlane.eip, workers.group],
    });
    const ready = [readiness.gate];

    // Worker addresses, read once the gate has passed (informational: the group may replace workers).
    const workerInstances = new DataAwsInstances(this, "worker-instances", {
      instanceTags: { "aws:autoscaling:groupName": workers.group.name },
      instanceStateNames: ["running"],
      dependsOn: ready,
    });

    this.outputs = {
      apiServerUrl: readiness.apiServerUrl,
      caCertificatePem: secrets.caCertPem,
      clientCertificatePem: secrets.adminCertPem,
      clientKeyPem: secrets.adminKeyPem,
      oidcProviderArn: issuer.provider.arn,
      serviceAccountIssuerHost: issuer.issuerHost,
    };

    const names = OUTPUT_NAMES.cluster;
    const output = (id: string, value: unknown, description: string, sensitive = false) =>
      new TerraformOutput(this, id, { value, description, sensitive, dependsOn: ready });
    output(names.apiServerUrl, apiServerUrl, "Kubernetes API server (the control plane's Elastic IP)");
    output(names.caCertificatePem, secrets.caCertPem, "Cluster CA certificate (PEM)");
    output(names.clientCertificatePem, secrets.adminCertPem, "Admin client certificate (PEM), cluster-admin");
    output(names.clientKeyPem, secrets.adminKeyPem, "Admin client key (PEM)", true);
    output(names.controlPlanePublicIp, publicIp, "Control plane Elastic IP");
    output(names.bookinfoUrl, `http://${publicIp}:${config.nodePorts.bookinfo}/productpage`, "Bookinfo productpage (NodePort); answers once the apps stack is deployed");
    output(names.grafanaUrl, `http://${publicIp}:${config.nodePorts.grafana}`, "Grafana (NodePort); answers once the platform stack is deployed");
    output(names.controlPlanePrivateIp, controlPlane.privateIp, "Control plane fixed private address (kubeadm controlPlaneEndpoint)");
    output(names.workerPrivateIps, workerInstances.privateIps, "Worker private addresses at the end of the deploy");
    output(names.workerPublicIps, workerInstances.publicIps, "Worker public addresses at the end of the deploy");
  }
}
