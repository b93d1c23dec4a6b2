/**
 * Each component's IAM permissions against what it is documented to need.
 *
 * - The node roles: every AWS call the node scripts really make (recorded by
 *   running them in the user-data harness) must be allowed, and every grant
 *   must be one of the needs listed here, each with its source (the script
 *   that makes the call, or the AWS page / project document that needs it).
 * - The EBS CSI controller: nothing beyond what the driver's own example
 *   policy at the pinned release lists (recorded in fixtures/iam with its
 *   source), and every omission named with its reason.
 * - VPC flow logs: nothing beyond AWS's documented role for publishing to
 *   CloudWatch Logs.
 * - Everywhere: no `*` resource except on the describe-only actions listed
 *   here, no wildcard action, and a whole-type resource pattern only with a
 *   condition.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { resourcesOf, synthApp, synthNetwork, type SynthesizedStack } from "./helpers/synth";
import { accessModel, AWS_MANAGED_SSM_KEY, canUseParameter, TEST_ACCOUNT, type AccessModel, type RoleModel } from "./helpers/aws-access";
import { evaluate, type PolicyDocument, type Statement } from "./helpers/iam-policy";
import { describeWith, requireTool } from "./helpers/tools";
import { commandLine, defaultScenario, runBootstrap, type Call, type Run } from "./helpers/userdata-harness";
import { parameterNames } from "../stacks/cluster/settings";
import { etcdBackupPrefix } from "../stacks/cluster/settings";
import { gunzipSync } from "node:zlib";
import { OIDC_DOCUMENT_KEYS } from "../lib/workload-identity";

const app = synthApp();
const config = app.config;
const cluster = app.stack("cluster");
const model = accessModel(cluster, config.region);
const names = parameterNames(config);
const paramArn = (name: string) => `arn:aws:ssm:${config.region}:${TEST_ACCOUNT}:parameter${name}`;
const locationValue = (() => {
  const p = Object.values(resourcesOf(cluster, "aws_ssm_parameter")).find((r) => r.name === names.etcdBackupLocation);
  if (!p) throw new Error("no etcd backup location parameter");
  return model.resolve(String(p.value));
})();
const bucketArn = `arn:aws:s3:::${/^s3:\/\/([^/]+)\//.exec(locationValue)?.[1]}`;
const prefix = etcdBackupPrefix(config);
const issuerValue = (() => {
  const p = Object.values(resourcesOf(cluster, "aws_ssm_parameter")).find((r) => r.name === names.serviceAccountIssuer);
  if (!p) throw new Error("no service-account issuer parameter");
  return model.resolve(String(p.value));
})();
const issuerBucketArn = `arn:aws:s3:::${/^https:\/\/([^.]+)\.s3\./.exec(issuerValue)?.[1]}`;

/** Every Allow statement of a role's inline policies as "action resource" lines (managed policies are tested elsewhere). */
function grantsOf(stack: SynthesizedStack, resolve: (s: string) => string, roleIdPart: string, type = "aws_iam_role_policy", owner = "role"): string[] {
  const out: string[] = [];
  for (const p of Object.values(resourcesOf(stack, type))) {
    if (!String(p[owner]).includes(roleIdPart)) continue;
    for (const s of (JSON.parse(resolve(String(p.policy))) as PolicyDocument).Statement as Statement[]) {
      expect(s.Effect).toBe("Allow");
      for (const a of [s.Action ?? []].flat()) for (const r of [s.Resource ?? []].flat()) out.push(`${a} ${r}`);
    }
  }
  return out.sort();
}

interface Need {
  readonly grant: string;
  /** Where the need comes from: the script that makes the call, or the document that requires it. */
  readonly source: string;
}

const CONTROL_PLANE_NEEDS: readonly Need[] = [
  ...[names.caCert, names.caKey, names.joinToken].map((n) => ({ grant: `ssm:GetParameter ${paramArn(n)}`, source: "stacks/cluster/userdata/control-plane.sh: ssm_get_to_file / ssm_get before kubeadm init" })),
  { grant: `ssm:GetParameter ${paramArn(names.secretsEncryptionKey)}`, source: "stacks/cluster/userdata/control-plane.sh: the key of the Secrets EncryptionConfiguration, before kubeadm init" },
  { grant: `ssm:GetParameter ${paramArn(names.controlPlanePublicIp)}`, source: "stacks/cluster/userdata/control-plane.sh: the Elastic IP for the API server certificate" },
  ...[names.serviceAccountKey, names.serviceAccountIssuer].map((n) => ({
    grant: `ssm:GetParameter ${paramArn(n)}`,
    source: "stacks/cluster/userdata/control-plane.sh: the service-account signing key (sa.key) and the issuer URL, before kubeadm init",
  })),
  ...Object.values(OIDC_DOCUMENT_KEYS).map((k) => ({
    grant: `s3:PutObject ${issuerBucketArn}/${k}`,
    source: "stacks/cluster/userdata/control-plane.sh: publish_oidc_document (aws s3 cp of what the API server serves at that path)",
  })),
  { grant: `ssm:GetParameter ${paramArn(names.adminCert)}`, source: "stacks/cluster/userdata/cert-renewal.sh: reads the Terraform admin certificate to export its expiry" },
  { grant: `ssm:PutParameter ${paramArn(names.joinToken)}`, source: "stacks/cluster/userdata/refresh-join-token.sh: aws ssm put-parameter" },
  { grant: `ssm:GetParameter ${paramArn(names.etcdBackupLocation)}`, source: "stacks/cluster/userdata/etcd-backup.sh: reads the S3 location at each run" },
  {
    grant: `s3:PutObject ${bucketArn}/${prefix}*`,
    source: "stacks/cluster/userdata/etcd-backup.sh: aws s3 cp; CreateMultipartUpload, UploadPart and CompleteMultipartUpload are authorized by s3:PutObject (S3 User Guide, Multipart upload API and permissions)",
  },
  {
    grant: `s3:AbortMultipartUpload ${bucketArn}/${prefix}*`,
    source: "aws s3 cp uploads files above multipart_threshold (8 MB, AWS CLI S3 configuration) in parts and aborts a failed upload (S3 User Guide, Multipart upload API and permissions)",
  },
  { grant: `s3:GetObject ${bucketArn}/${prefix}*`, source: "docs/data-safety-cluster.md, restore step: aws s3 cp s3://<bucket>/<name>/etcd/<file>.db on the control plane" },
  {
    grant: `s3:GetObjectVersion ${bucketArn}/${prefix}*`,
    source: "docs/data-safety-cluster.md, restore step: aws s3api get-object --version-id (an older snapshot is an older version of the one key)",
  },
  { grant: `s3:ListBucketVersions ${bucketArn}`, source: "docs/data-safety-cluster.md, restore step: aws s3api list-object-versions (ListObjectVersions is authorized by s3:ListBucketVersions)" },
  { grant: `s3:ListBucket ${bucketArn}`, source: "docs/data-safety-cluster.md, restore step: aws s3 ls s3://<bucket>/<name>/etcd/ (ListObjectsV2 is authorized by s3:ListBucket)" },
  {
    grant: "ec2:DescribeInstances *",
    source: "stacks/cluster/userdata/node-cleanup.sh: aws ec2 describe-instances; DescribeInstances supports no resource-level permissions (Service Authorization Reference, Amazon EC2)",
  },
];

const WORKER_NEEDS: readonly Need[] = [
  ...[names.caCert, names.joinToken].map((n) => ({
    grant: `ssm:GetParameter ${paramArn(n)}`,
    source: "stacks/cluster/userdata/worker.sh: the CA certificate to pin, the join token on each attempt",
  })),
  {
    // ARN format of the autoScalingGroup resource type: Service Authorization Reference, Amazon EC2 Auto Scaling.
    grant: `autoscaling:CompleteLifecycleAction arn:aws:autoscaling:${config.region}:${TEST_ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/${config.name}-workers`,
    source: "stacks/cluster/userdata/worker.sh: aws autoscaling complete-lifecycle-action once the node has joined",
  },
];

/**
 * The IAM action each AWS CLI call the scripts make is authorized as
 * (AWS CLI command reference: each command calls the API operation of the
 * same name; Service Authorization Reference: the action of that operation).
 */
function requestsOf(call: Call): Array<{ action: string; resource: string; parameter?: { use: "read" | "write"; name: string } }> {
  const [service, op] = call.args;
  const opt = (name: string) => call.args[call.args.indexOf(name) + 1] as string;
  switch (`${service} ${op}`) {
    case "ssm get-parameter":
      return [{ action: "ssm:GetParameter", resource: paramArn(opt("--name")), parameter: { use: "read", name: opt("--name") } }];
    case "ssm put-parameter":
      return [{ action: "ssm:PutParameter", resource: paramArn(opt("--name")), parameter: { use: "write", name: opt("--name") } }];
    case "s3 cp": {
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(String(call.args.at(-1)));
      if (!m) throw new Error(`s3 cp to ${String(call.args.at(-1))} is not an upload`);
      return [{ action: "s3:PutObject", resource: `arn:aws:s3:::${m[1]}/${m[2]}` }];
    }
    case "autoscaling complete-lifecycle-action":
      return [
        {
          action: "autoscaling:CompleteLifecycleAction",
          resource: `arn:aws:autoscaling:${config.region}:${TEST_ACCOUNT}:autoScalingGroup:11111111-2222-3333-4444-555555555555:autoScalingGroupName/${opt("--auto-scaling-group-name")}`,
        },
      ];
    case "ec2 describe-instances":
      return [{ action: "ec2:DescribeInstances", resource: "*" }];
    default:
      if (call.args[0] === "--version") return [];
      throw new Error(`no IAM mapping for the AWS call: ${commandLine(call)}`);
  }
}

/** The AWS calls a run made that the role may not make (SSM and KMS both, for a SecureString). */
function deniedCalls(m: AccessModel, role: RoleModel, run: Run): string[] {
  const denied: string[] = [];
  for (const call of run.calls.filter((c) => c.cmd === "aws")) {
    for (const req of requestsOf(call)) {
      let ok: boolean;
      if (req.parameter) {
        const parameter = m.parameters.find((p) => p.name === req.parameter?.name);
        if (!parameter) throw new Error(`the script uses the parameter ${req.parameter.name}, which the stack does not create`);
        ok = canUseParameter(m, role, parameter, req.parameter.use);
        // PutParameter without --key-id encrypts with the AWS-managed aws/ssm key, even
        // when it overwrites a parameter under another key (SSM API Reference, PutParameter,
        // KeyId): a write must name the key Terraform gave the parameter.
        if (req.parameter.use === "write" && parameter.secure) {
          const i = call.args.indexOf("--key-id");
          const named = i < 0 ? AWS_MANAGED_SSM_KEY : (call.args[i + 1] as string);
          if (m.keyArnOf(named) !== parameter.keyArn) {
            denied.push(`${req.action} ${req.resource} re-encrypts under ${named}, not the parameter's key ${parameter.keyArn ?? AWS_MANAGED_SSM_KEY} (${commandLine(call)})`);
          } else if (named !== (parameter.keyId ?? AWS_MANAGED_SSM_KEY)) {
            // SSM reports the key id its last writer gave: two spellings of one key are a Terraform diff after every write.
            denied.push(`${req.action} ${req.resource} names its key as ${named}, Terraform as ${parameter.keyId ?? AWS_MANAGED_SSM_KEY} (${commandLine(call)})`);
          }
        }
      } else {
        ok = evaluate(role.identityPolicies, { action: req.action, resource: req.resource }) === "Allow";
      }
      if (!ok) denied.push(`${req.action} ${req.resource} (${commandLine(call)})`);
    }
  }
  return denied;
}

const bash = requireTool("bash", "bash");
const jq = requireTool("jq", "jq");

describeWith(bash && jq)("node roles: every AWS call the node scripts make is allowed", () => {
  const cpScript = gunzipSync(Buffer.from(String(Object.values(resourcesOf(cluster, "aws_instance"))[0]?.user_data_base64), "base64")).toString("utf8");
  const workerScript = Buffer.from(String(Object.values(resourcesOf(cluster, "aws_launch_template"))[0]?.user_data), "base64").toString("utf8");
  const base = defaultScenario(config);
  const scenario = { ...base, ssm: { ...base.ssm, [names.etcdBackupLocation]: locationValue, [names.serviceAccountIssuer]: issuerValue } };
  const installed = ["kubeadm", "kubectl", "cri-tools", "aws-cli"];
  let runs: { controlPlane: Run[]; worker: Run[] };

  beforeAll(() => {
    const cp = runBootstrap(cpScript, scenario);
    const helper = (name: string, extra = {}) => runBootstrap(cp.file(`/usr/local/sbin/${name}`) as string, { ...scenario, packages: installed, ...extra });
    runs = {
      controlPlane: [
        cp,
        helper("k8s-refresh-join-token"),
        helper("k8s-etcd-backup"),
        helper("k8s-node-cleanup", {
          nodesJson: readFileSync(path.join(__dirname, "fixtures", "cluster", "nodes-with-dead-workers.json"), "utf8"),
          ec2Json: readFileSync(path.join(__dirname, "fixtures", "cluster", "describe-instances.json"), "utf8"),
        }),
      ],
      worker: [runBootstrap(workerScript, { ...scenario, imds: { ...scenario.imds, "local-ipv4": "10.0.2.20" } })],
    };
  });

  it("the runs succeed and make the calls the needs below are built from", () => {
    for (const r of [...runs.controlPlane, ...runs.worker]) expect({ status: r.status, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ status: 0, stderr: "" });
    const calls = runs.controlPlane.flatMap((r) => r.calls.filter((c) => c.cmd === "aws").map((c) => `${c.args[0]} ${c.args[1]}`));
    expect(new Set(calls)).toEqual(new Set(["--version undefined", "ssm get-parameter", "ssm put-parameter", "s3 cp", "ec2 describe-instances"]));
  });

  it("the control-plane role is allowed every call the control plane's bootstrap and timers make", () => {
    const role = model.role("control-plane-role");
    expect(runs.controlPlane.flatMap((r) => deniedCalls(model, role, r))).toEqual([]);
  });

  it("the worker role is allowed every call a worker's bootstrap makes", () => {
    expect(runs.worker.flatMap((r) => deniedCalls(model, model.role("worker-role"), r))).toEqual([]);
  });

  it("every recorded call is one of the listed needs (the needs list is not a guess)", () => {
    for (const [needs, list] of [[CONTROL_PLANE_NEEDS, runs.controlPlane], [WORKER_NEEDS, runs.worker]] as const) {
      const needed = new Set(needs.map((n) => n.grant));
      for (const r of list) {
        for (const call of r.calls.filter((c) => c.cmd === "aws")) {
          for (const req of requestsOf(call)) {
            const covered = [...needed].some((g) => {
              const [action, pattern] = g.split(" ") as [string, string];
              return action === req.action && new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(req.resource);
            });
            expect({ call: commandLine(call), covered }).toEqual({ call: commandLine(call), covered: true });
          }
        }
      }
    }
  });
});

describe("node roles: nothing beyond the listed needs", () => {
  it("the control-plane role's inline grants are exactly its needs", () => {
    expect(grantsOf(cluster, model.resolve, "control-plane-role")).toEqual(CONTROL_PLANE_NEEDS.map((n) => n.grant).sort());
  });

  it("the worker role's inline grants are exactly its needs: never the CA key, no parameter write", () => {
    expect(grantsOf(cluster, model.resolve, "worker-role")).toEqual(WORKER_NEEDS.map((n) => n.grant).sort());
  });

  it("every need names its source", () => {
    for (const n of [...CONTROL_PLANE_NEEDS, ...WORKER_NEEDS]) expect(n.source).toMatch(/\S{10,}/);
  });
});

/** EBS CSI driver v1.53.0's documented actions, by resource type (fixtures/iam, with its source). */
const EBS_UPSTREAM = JSON.parse(readFileSync(path.join(__dirname, "fixtures", "iam", "ebs-csi-driver-v1.53.0-actions.json"), "utf8")) as {
  source: string;
  actionsByResourceType: Record<string, string[]>;
};

/** What the project leaves out of the driver's example policy, and why. */
const EBS_OMITTED: Record<string, { actions: string[]; reason: string }> = {
  "*": { actions: ["ec2:DescribeSnapshots"], reason: "no VolumeSnapshotClass or snapshot controller is installed (lib/storage.ts: the platform takes no snapshots)" },
  volume: { actions: ["ec2:CreateSnapshot", "ec2:DeleteTags"], reason: "no snapshots; tags are written only at creation and never removed" },
  snapshot: {
    actions: ["ec2:CreateSnapshot", "ec2:CreateTags", "ec2:CreateVolume", "ec2:DeleteSnapshot", "ec2:DeleteTags", "ec2:EnableFastSnapshotRestores"],
    reason: "no snapshots: no volume is restored from one",
  },
  instance: { actions: [], reason: "" },
};

function actionsByType(doc: PolicyDocument): Record<string, string[]> {
  const by: Record<string, Set<string>> = {};
  for (const s of doc.Statement as Statement[]) {
    for (const r of [s.Resource ?? []].flat()) {
      const type = r === "*" ? "*" : (/:([a-z-]+)\/[^:]*$/.exec(r)?.[1] ?? r);
      for (const a of [s.Action ?? []].flat()) (by[type] ??= new Set()).add(a);
    }
  }
  return Object.fromEntries(Object.entries(by).map(([t, a]) => [t, [...a].sort()]));
}

describe("EBS CSI controller", () => {
  const platform = app.stack("platform");
  const policies = Object.values(resourcesOf(platform, "aws_iam_user_policy")).concat(Object.values(resourcesOf(platform, "aws_iam_role_policy")).filter((p) => String(p.role ?? p.name).includes("ebs")));

  it("has exactly the driver's documented actions per resource type, less the named omissions", () => {
    expect(policies).toHaveLength(1);
    const granted = actionsByType(JSON.parse(String(policies[0]?.policy)) as PolicyDocument);
    const expected = Object.fromEntries(
      Object.entries(EBS_UPSTREAM.actionsByResourceType)
        .map(([type, actions]) => [type, actions.filter((a) => !(EBS_OMITTED[type]?.actions ?? []).includes(a)).sort()] as const)
        .filter(([, actions]) => actions.length > 0),
    );
    expect(granted).toEqual(expected);
    expect(EBS_UPSTREAM.source).toMatch(/aws-ebs-csi-driver\/blob\/v1\.53\.0\//);
  });

  it("every omission is really in the driver's list (no stale exception)", () => {
    for (const [type, o] of Object.entries(EBS_OMITTED)) for (const a of o.actions) expect(EBS_UPSTREAM.actionsByResourceType[type]).toContain(a);
  });
});

/** AWS's documented role for VPC flow logs to CloudWatch Logs (VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs"). */
const FLOW_LOGS_DOCUMENTED = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"];
const FLOW_LOGS_OMITTED: Record<string, string> = {
  "logs:CreateLogGroup": "the log group is created by Terraform before the flow log",
  "logs:DescribeLogGroups": "left out: it cannot be scoped to one group, and the service writes to the group it is given",
};

describe("VPC flow logs role", () => {
  const network = synthNetwork({ network: { flowLogs: { enabled: true } } });
  it("has AWS's documented actions less the named omissions, on its own log group only", () => {
    const grants = Object.values(resourcesOf(network, "aws_iam_role_policy")).flatMap((p) => (JSON.parse(String(p.policy)) as PolicyDocument).Statement as Statement[]);
    const actions = grants.flatMap((s) => [s.Action ?? []].flat()).sort();
    expect(actions).toEqual(FLOW_LOGS_DOCUMENTED.filter((a) => !(a in FLOW_LOGS_OMITTED)).sort());
    for (const s of grants) expect([s.Resource].flat()).toEqual([expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.[^.]+\.arn\}:\*$/)]);
  });
});

/**
 * Actions that take no resource scope, the only ones allowed on `*`
 * (Service Authorization Reference, Amazon EC2: the Describe actions list no
 * resource types).
 */
const DESCRIBE_ONLY = new Set([
  "ec2:DescribeInstances",
  "ec2:DescribeAvailabilityZones",
  "ec2:DescribeTags",
  "ec2:DescribeVolumes",
  "ec2:DescribeVolumesModifications",
  "ec2:DescribeVolumeStatus",
]);

describe("no wildcard beyond the describe-only actions, in any identity policy of any stack", () => {
  const stacks: Array<[string, SynthesizedStack]> = [
    ["network (flow logs on)", synthNetwork({ network: { flowLogs: { enabled: true } } })],
    ["cluster", cluster],
    ["cluster (existing backup bucket)", synthApp({ cluster: { etcdBackup: { existingBucket: "acme-etcd-backups" } } }).stack("cluster")],
    ["platform", app.stack("platform")],
    ["apps", app.stack("apps")],
  ];
  const statements = stacks.flatMap(([name, stack]) =>
    ["aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_policy", "aws_iam_group_policy"].flatMap((type) =>
      Object.entries(resourcesOf(stack, type)).flatMap(([id, p]) =>
        ((JSON.parse(String(p.policy)) as PolicyDocument).Statement as Statement[]).map((s) => ({ where: `${name} ${type}.${id} ${s.Sid ?? ""}`, s })),
      ),
    ),
  );

  it("finds the policies (the check has something to judge)", () => {
    expect(statements.length).toBeGreaterThanOrEqual(10);
  });

  it("states every identity statement as an Allow (AWS rejects any other Effect; none of these policies denies)", () => {
    expect(statements.filter(({ s }) => s.Effect !== "Allow").map((b) => `${b.where}: ${JSON.stringify(b.s.Effect)}`)).toEqual([]);
  });

  it("puts `*` as a resource only under describe-only actions", () => {
    const bad = statements.filter(({ s }) => [s.Resource].flat().includes("*") && [s.Action].flat().some((a) => !DESCRIBE_ONLY.has(String(a))));
    expect(bad.map((b) => b.where)).toEqual([]);
  });

  it("grants no wildcard action and uses no NotAction or NotResource", () => {
    const bad = statements.filter(({ s }) => [s.Action].flat().some((a) => String(a).includes("*")) || "NotAction" in s || "NotResource" in s);
    expect(bad.map((b) => b.where)).toEqual([]);
  });

  it("scopes a resource pattern covering a whole resource type (volume/*, instance/*) with a condition", () => {
    const typeWide = /:(volume|instance|snapshot|parameter|key)\/\*$/;
    const bad = statements.filter(({ s }) => [s.Resource].flat().some((r) => typeWide.test(String(r))) && s.Condition === undefined);
    expect(bad.map((b) => b.where)).toEqual([]);
  });
});
