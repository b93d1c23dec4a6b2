/**
 * The destroy-time wait that keeps `cdktf destroy` from leaving EBS volumes
 * behind.
 *
 * Terraform destroys in reverse dependency order, but deleting a claim only
 * starts the deletion of its volume: the EBS CSI driver deletes the EBS
 * volume and then the PersistentVolume object, asynchronously. So between
 * the volumes' users and the driver sits this resource:
 *
 *   driver release → StorageClass → volume cleanup → monitoring namespace → ...
 *
 * Destroying runs that backwards. The monitoring namespace is deleted and
 * waited for (every claim in it gone), then this resource's destroy-time
 * provisioner polls the API server until no volume of the StorageClass is
 * left without a live claim (bounded by `platform.storage.volumeDeletionTimeoutSeconds`),
 * and only then are the StorageClass and the driver removed.
 *
 * A destroy-time provisioner may only read its own resource (`self`), so the
 * API server's address and the admin credentials are kept in the resource's
 * triggers: they are already in this stack's state (the cluster stack's
 * remote state), and stay marked sensitive there and in plans. When they change
 * (a renewed client certificate) Terraform replaces this resource, which runs
 * the provisioner on a live cluster: the program then finds every volume
 * still claimed and returns at once.
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { StaticResource } from "@cdktf/provider-time/lib/static-resource";
import type { TimeProvider } from "@cdktf/provider-time/lib/provider";
import type { Config } from "../../lib/config";
import type { ClusterOutputs } from "../cluster/outputs";
import { deployHookCommand, deployHookPath } from "../../lib/deploy-hooks";

/** The program the provisioner runs (plain Node, built-ins only), shipped with the stack in its deploy-hooks asset. */
export const VOLUME_WAIT_PROGRAM = deployHookPath("wait-for-volumes.cjs");

/** Environment variables the program reads. */
export const VOLUME_WAIT_ENV = {
  apiServerUrl: "VOLUMES_API_SERVER_URL",
  caCertificatePem: "VOLUMES_CA_CERT_PEM",
  clientCertificatePem: "VOLUMES_CLIENT_CERT_PEM",
  clientKeyPem: "VOLUMES_CLIENT_KEY_PEM",
  storageClass: "VOLUMES_STORAGE_CLASS",
  timeoutSeconds: "VOLUMES_TIMEOUT_SECONDS",
  sweepHint: "VOLUMES_SWEEP_HINT",
} as const;

/** Keys of the resource's triggers, which the provisioner reads back through `self`. */
export const VOLUME_WAIT_TRIGGERS = {
  apiServerUrl: "api_server_url",
  caCertificatePem: "ca_certificate_pem",
  clientCertificatePem: "client_certificate_pem",
  clientKeyPem: "client_key_pem",
  storageClass: "storage_class",
} as const;

export interface VolumeCleanupProps {
  readonly config: Config;
  readonly provider: TimeProvider;
  readonly cluster: ClusterOutputs;
  /** The StorageClass whose volumes are waited for. */
  readonly storageClassName: string;
  /** Where to look if volumes are left (printed by the program). */
  readonly sweepHint: string;
  /** The StorageClass and the driver: created before, destroyed after this. */
  readonly dependsOn: ITerraformDependable[];
}

export class VolumeCleanup extends Construct {
  readonly wait: StaticResource;

  constructor(scope: Construct, id: string, props: VolumeCleanupProps) {
    super(scope, id);
    const command = deployHookCommand(this, "program", "wait-for-volumes.cjs");
    // The cluster's values arrive as sensitive outputs of its remote state;
    // they are unmarked for this environment alone, because Terraform hides
    // all output of a provisioner whose configuration holds a sensitive
    // value (the program's progress and its failure message). Terraform
    // neither prints nor stores a provisioner's environment.
    const self = (key: string) => `\${nonsensitive(self.triggers["${key}"])}`;
    this.wait = new StaticResource(this, "wait", {
      provider: props.provider,
      triggers: {
        [VOLUME_WAIT_TRIGGERS.apiServerUrl]: props.cluster.apiServerUrl,
        [VOLUME_WAIT_TRIGGERS.caCertificatePem]: props.cluster.caCertificatePem,
        [VOLUME_WAIT_TRIGGERS.clientCertificatePem]: props.cluster.clientCertificatePem,
        [VOLUME_WAIT_TRIGGERS.clientKeyPem]: props.cluster.clientKeyPem,
        [VOLUME_WAIT_TRIGGERS.storageClass]: props.storageClassName,
      },
      dependsOn: props.dependsOn,
      provisioners: [
        {
          type: "local-exec",
          when: "destroy",
          command,
          environment: {
            [VOLUME_WAIT_ENV.apiServerUrl]: self(VOLUME_WAIT_TRIGGERS.apiServerUrl),
            [VOLUME_WAIT_ENV.caCertificatePem]: self(VOLUME_WAIT_TRIGGERS.caCertificatePem),
            [VOLUME_WAIT_ENV.clientCertificatePem]: self(VOLUME_WAIT_TRIGGERS.clientCertificatePem),
            [VOLUME_WAIT_ENV.clientKeyPem]: self(VOLUME_WAIT_TRIGGERS.clientKeyPem),
            [VOLUME_WAIT_ENV.storageClass]: self(VOLUME_WAIT_TRIGGERS.storageClass),
            [VOLUME_WAIT_ENV.timeoutSeconds]: String(props.config.platform.storage.volumeDeletionTimeoutSeconds),
            [VOLUME_WAIT_ENV.sweepHint]: props.sweepHint,
          },
        },
      ],
    });
  }
}
