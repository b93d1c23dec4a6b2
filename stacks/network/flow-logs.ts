import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { Config } from "../../lib/config";
import { resourceName } from "../../lib/naming";

export interface VpcFlowLogsProps {
  readonly config: Config;
  readonly vpcId: string;
}

/** VPC flow logs to CloudWatch Logs (CKV2_AWS_11), when config enables them. */
export class VpcFlowLogs extends Construct {
  constructor(scope: Construct, id: string, props: VpcFlowLogsProps) {
    super(scope, id);
    const { config, vpcId } = props;
    const flow = config.network.flowLogs;

    const group = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/vpc/${resourceName(config, "flow-logs")}`,
      retentionInDays: flow.retentionDays,
    });

    const role = new IamRole(this, "role", {
      name: resourceName(config, "flow-logs"),
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    new IamRolePolicy(this, "write-logs", {
      role: role.id,
      name: "write-flow-logs",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: [`${group.arn}:*`],
          },
        ],
      }),
    });

    new FlowLog(this, "flow-log", {
      vpcId,
      trafficType: flow.trafficType,
      logDestinationType: "cloud-watch-logs",
      logDestination: group.arn,
      iamRoleArn: role.arn,
    });
  }
}
