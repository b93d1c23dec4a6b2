import { Construct } from "constructs";
import { Fn, type ITerraformDependable } from "cdktf";
import { StaticResource } from "@cdktf/provider-time/lib/static-resource";
import { deployHookCommand, deployHookPath } from "../../lib/deploy-hooks";

/** The readiness program (plain Node, built-ins only), shipped with the stack in its deploy-hooks asset. */
export const WAIT_PROGRAM = deployHookPath("wait-for-cluster.cjs");

/** Environment variables the readiness program reads. */
export const WAIT_ENV = {
  apiServerUrl: "CLUSTER_API_SERVER_URL",
  caCertificatePem: "CLUSTER_CA_CERT_PEM",
  clientCertificatePem: "CLUSTER_CLIENT_CERT_PEM",
  clientKeyPem: "CLUSTER_CLIENT_KEY_PEM",
  expectedNodes: "CLUSTER_EXPECTED_NODES",
  timeoutSeconds: "CLUSTER_WAIT_TIMEOUT_SECONDS",
  region: "CLUSTER_AWS_REGION",
  controlPlaneInstanceId: "CLUSTER_CONTROL_PLANE_INSTANCE_ID",
  workerGroup: "CLUSTER_WORKER_GROUP",
} as const;

export interface ReadinessGateProps {
  readonly apiServerUrl: string;
  readonly caCertificatePem: string;
  readonly clientCertificatePem: string;
  /** Sensitive in Terraform; see the class comment for how it is passed. */
  readonly clientKeyPem: string;
  /** Control plane + workers. */
  readonly expectedNodes: number;
  readonly timeoutMinutes: number;
  /** Named in the commands a failed wait prints. */
  readonly region: string;
  readonly controlPlaneInstanceId: string;
  readonly workerGroupName: string;
  /** Identities whose change means "new nodes: wait again" (instance id, group, template version). */
  readonly triggers: Record<string, string>;
  /** The resources the gate waits for. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * The cluster deploy ends only when the API server, on its public address,
 * lists the nodes for the admin client certificate and 1 + N are registered.
 *
 * A create-time local-exec provisioner on a `time_static` resource: it runs
 * when the gate is created, i.e. on the first deploy and whenever a trigger
 * changes (a replaced control plane, a new worker template), and never at
 * plan time or on destroy, so `cdktf diff` and `cdktf destroy` never wait
 * for a cluster that is down or half gone. A failed wait taints the gate; the
 * next deploy waits again.
 *
 * Credentials go through the provisioner's environment, never its command
 * line. Terraform hides all output of a provisioner whose configuration holds
 * a sensitive value, which would hide the gate's progress and its failure
 * message; so the client key is unmarked with nonsensitive() for this
 * environment alone (Terraform neither prints nor stores a provisioner's
 * environment; the key stays sensitive everywhere else).
 */
export class ReadinessGate extends Construct {
  readonly gate: StaticResource;
  /**
   * The API server URL, read back from the gate: whatever uses it (the next
   * stacks' providers) depends on the gate having passed.
   */
  readonly apiServerUrl: string;

  constructor(scope: Construct, id: string, props: ReadinessGateProps) {
    super(scope, id);
    const command = deployHookCommand(this, "program", "wait-for-cluster.cjs");
    this.gate = new StaticResource(this, "gate", {
      triggers: { ...props.triggers, api_server_url: props.apiServerUrl },
      dependsOn: props.dependsOn,
      provisioners: [
        {
          type: "local-exec",
          command,
          environment: {
            [WAIT_ENV.apiServerUrl]: props.apiServerUrl,
            [WAIT_ENV.caCertificatePem]: props.caCertificatePem,
            [WAIT_ENV.clientCertificatePem]: props.clientCertificatePem,
            [WAIT_ENV.clientKeyPem]: Fn.nonsensitive(props.clientKeyPem),
            [WAIT_ENV.expectedNodes]: String(props.expectedNodes),
            [WAIT_ENV.timeoutSeconds]: String(props.timeoutMinutes * 60),
            [WAIT_ENV.region]: props.region,
            [WAIT_ENV.controlPlaneInstanceId]: props.controlPlaneInstanceId,
            [WAIT_ENV.workerGroup]: props.workerGroupName,
          },
        },
      ],
    });
    this.apiServerUrl = Fn.lookup(this.gate.triggers, "api_server_url");
  }
}
