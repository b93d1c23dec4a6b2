import { Construct } from "constructs";
import { StaticResource } from "@cdktf/provider-time/lib/static-resource";

export interface NodeGenerationProps {
  readonly generation: number;
}

/**
 * The "roll the nodes" switch. Nodes ignore a newer AMI and an edited
 * user-data; they are replaced only when this resource is, which happens when
 * config.cluster.nodeGeneration changes (it is the control-plane instance's
 * and the launch template's replace_triggered_by).
 */
export class NodeGeneration extends Construct {
  readonly keeper: StaticResource;

  constructor(scope: Construct, id: string, props: NodeGenerationProps) {
    super(scope, id);
    this.keeper = new StaticResource(this, "keeper", { triggers: { node_generation: String(props.generation) } });
  }
}
