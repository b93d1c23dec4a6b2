import { dataOf, oneResource, resourcesOf, synthApp } from "./helpers/synth";
import { OUTPUT_NAMES } from "../lib/stack-outputs";
import { PORTS } from "../lib/ports";
import { UBUNTU } from "../lib/versions";
import { parameterNames } from "../stacks/cluster/settings";
import { awsManagedPolicyArn, SSM_MANAGED_INSTANCE_POLICY } from "../stacks/cluster/node-roles";
import { oneAtATimeMinHealthyPercentage } from "../stacks/cluster/workers";
import { architectureOf } from "../stacks/cluster/node-image";
import { EBS_CSI_NODE_REQUIREMENTS } from "../lib/storage";

type Json = Record<string, unknown>;

/** The Terraform address (`type.id`) of the one resource of `type` whose id contains `idPart`. */
function addressOf(tf: { resource?: Record<string, Record<string, unknown>> }, type: string, idPart: string): string {
  const ids = Object.keys(tf.resource?.[type] ?? {}).filter((id) => id.includes(idPart));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching ${idPart}, found ${ids.join(", ")}`);
  return `${type}.${ids[0]}`;
}

interface PolicyStatement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string[];
}

describe("ClusterStack", () => {
  const app = synthApp();
  /** One synthesis with every cluster setting changed (each synthesis of the whole app costs about a second). */
  const variant = synthApp({
    access: { sshKeyName: "ops" },
    cluster: {
      kubernetesVersion: "1.29.10",
      allowUnsupportedKubernetesVersion: true,
      controlPlaneHostNumber: 42,
      controlPlane: { instanceType: "m6i.large", rootVolumeGiB: 50 },
      workers: { count: 4, instanceType: "m7g.large", rootVolumeGiB: 60 },
      nodeGeneration: 2,
    },
  }).stack("cluster");
  const cluster = app.stack("cluster");
  const tf = cluster.tf;
  const params = parameterNames(app.config);
  const ref = (type: string, idPart: string, attr: string) => `\${${addressOf(tf, type, idPart)}.${attr}}`;
  const caKeyArn = ref("aws_ssm_parameter", "ca-key", "arn");
  const caCertArn = ref("aws_ssm_parameter", "ca-cert", "arn");
  const tokenArn = ref("aws_ssm_parameter", "join-token", "arn");
  const instance = oneResource(cluster, "aws_instance");
  const template = oneResource(cluster, "aws_launch_template");
  const group = oneResource(cluster, "aws_autoscaling_group");
  const policy = (kind: string) =>
    (JSON.parse(String(oneResource(cluster, "aws_iam_role_policy", `${kind}-parameters`).policy)) as { Statement: PolicyStatement[] }).Statement;

  describe("control plane", () => {
    it("has a network interface with the fixed private IP in the first subnet, carrying both security groups", () => {
      const eni = oneResource(cluster, "aws_network_interface");
      expect(eni.private_ips).toEqual(["10.0.1.10"]);
      expect(String(eni.subnet_id)).toContain("vpc_public-0");
      const groups = eni.security_groups as string[];
      expect(groups).toHaveLength(2);
      expect(groups.some((g) => g.includes("security-groups_cluster"))).toBe(true);
      expect(groups.some((g) => g.includes("security-groups_control-plane"))).toBe(true);
    });

    it("puts the Elastic IP on that interface and launches the instance on it", () => {
      const eip = oneResource(cluster, "aws_eip");
      expect(eip).toMatchObject({ domain: "vpc", network_interface: ref("aws_network_interface", "eni", "id"), associate_with_private_ip: "10.0.1.10" });
      expect(instance.primary_network_interface).toEqual({ network_interface_id: ref("aws_network_interface", "eni", "id") });
    });

    it("moves the fixed address when controlPlaneHostNumber changes", () => {
      expect(oneResource(variant, "aws_network_interface").private_ips).toEqual(["10.0.1.42"]);
    });

    it("boots only after the parameters it reads and its IAM grants exist, and after its Elastic IP", () => {
      const deps = instance.depends_on as string[];
      for (const [type, id] of [
        ["aws_ssm_parameter", "ca-key"],
        ["aws_ssm_parameter", "ca-cert"],
        ["aws_ssm_parameter", "join-token"],
        ["aws_iam_role_policy", "control-plane-parameters"],
        ["aws_iam_role_policy_attachment", "control-plane-session-manager"],
        ["aws_eip", "eip"],
      ] as const) {
        expect(deps).toContain(addressOf(tf, type, id));
      }
    });

    it("uses the configured instance type and the control-plane instance profile", () => {
      expect(instance.instance_type).toBe("t3.medium");
      expect(instance.iam_instance_profile).toBe(ref("aws_iam_instance_profile", "control-plane-profile", "name"));
      expect(oneResource(variant, "aws_instance")).toMatchObject({ instance_type: "m6i.large", root_block_device: { volume_size: 50 } });
    });
  });

  describe("node security settings", () => {
    it("requires IMDSv2 with hop limit 1 on every node, the control plane included, so no pod reaches a node role", () => {
      const imds = { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 };
      expect(template.metadata_options).toMatchObject(imds);
      expect(instance.metadata_options).toMatchObject(imds);
      expect(oneResource(variant, "aws_instance").metadata_options).toMatchObject(imds);
      expect(oneResource(variant, "aws_launch_template").metadata_options).toMatchObject(imds);
      // The storage contract asks for the same on every node.
      expect(EBS_CSI_NODE_REQUIREMENTS).toEqual({ imdsHopLimit: 1, httpTokens: "required" });
    });

    it("gives every node an encrypted gp3 root volume of the configured size", () => {
      expect(instance.root_block_device).toMatchObject({ volume_type: "gp3", encrypted: true, volume_size: 30 });
      const [mapping] = template.block_device_mappings as Json[];
      expect(mapping).toMatchObject({ device_name: "/dev/sda1", ebs: { volume_type: "gp3", encrypted: "true", volume_size: 40 } });
    });

    it("opens no SSH key pair unless configured, and uses it when it is", () => {
      expect(instance.key_name).toBeUndefined();
      expect(template.key_name).toBeUndefined();
      expect(oneResource(variant, "aws_instance").key_name).toBe("ops");
      expect(oneResource(variant, "aws_launch_template").key_name).toBe("ops");
    });
  });

  describe("workers", () => {
    it("run in an Auto Scaling group of the configured size across every subnet", () => {
      expect(group).toMatchObject({ min_size: 2, max_size: 2, desired_capacity: 2 });
      expect(group.vpc_zone_identifier).toHaveLength(2);
      expect(oneResource(variant, "aws_autoscaling_group")).toMatchObject({ min_size: 4, max_size: 4, desired_capacity: 4 });
      expect(oneResource(variant, "aws_launch_template")).toMatchObject({ instance_type: "m7g.large", block_device_mappings: [{ ebs: { volume_size: 60 } }] });
    });

    it("carry only the cluster security group, with a public address", () => {
      const [nic] = template.network_interfaces as Json[];
      expect(nic).toMatchObject({ associate_public_ip_address: "true", device_index: 0 });
      expect(nic?.security_groups as string[]).toHaveLength(1);
      expect(String((nic?.security_groups as string[])[0])).toContain("security-groups_cluster");
    });

    it("use the worker instance profile and the latest template version", () => {
      expect(template.iam_instance_profile).toEqual({ arn: ref("aws_iam_instance_profile", "worker-profile", "arn") });
      expect(group.launch_template).toEqual({
        id: ref("aws_launch_template", "launch-template", "id"),
        version: ref("aws_launch_template", "launch-template", "latest_version"),
      });
    });

    it("start only after the parameters they read and their IAM grants exist", () => {
      for (const resource of [template, group]) {
        const deps = resource.depends_on as string[];
        expect(deps).toContain(addressOf(tf, "aws_ssm_parameter", "ca-cert"));
        expect(deps).toContain(addressOf(tf, "aws_ssm_parameter", "join-token"));
        expect(deps).toContain(addressOf(tf, "aws_iam_role_policy", "worker-parameters"));
        expect(deps).toContain(addressOf(tf, "aws_iam_role_policy_attachment", "worker-session-manager"));
        expect(deps).not.toContain(addressOf(tf, "aws_ssm_parameter", "ca-key"));
      }
    });

    it("are rolled by instance refresh one at a time", () => {
      expect(group.instance_refresh).toMatchObject({ strategy: "Rolling", preferences: { min_healthy_percentage: 50, max_healthy_percentage: 100 } });
      expect([1, 2, 3, 4, 10].map(oneAtATimeMinHealthyPercentage)).toEqual([0, 50, 66, 75, 90]);
    });
  });

  describe("no surprise replacement", () => {
    // A bare address: Terraform's replace_triggered_by takes references, not "${…}" templates.
    const keeper = addressOf(tf, "time_static", "node-generation");

    it("finds the newest Canonical Ubuntu LTS AMI for the architecture", () => {
      const [ami, ...others] = Object.values(dataOf(cluster, "aws_ami"));
      expect(others).toHaveLength(0);
      expect(ami).toMatchObject({ owners: [UBUNTU.amiOwner], most_recent: true });
      expect(JSON.stringify(ami)).toContain(`ubuntu-${UBUNTU.codename}-${UBUNTU.release}-amd64-server-*`);
      expect(architectureOf("t4g.large")).toBe("arm64");
      expect(architectureOf("t3.large")).toBe("amd64");
      // amd64 control plane, arm64 workers: one image lookup each.
      const amis = Object.values(dataOf(variant, "aws_ami")).map((a) => JSON.stringify(a));
      expect(amis).toHaveLength(2);
      expect(amis.filter((a) => a.includes("-arm64-server-"))).toHaveLength(1);
    });

    it("ignores a newer AMI and an edited user-data on the control plane and the launch template", () => {
      expect(instance.lifecycle).toMatchObject({ ignore_changes: ["ami", "user_data", "user_data_base64"] });
      expect(instance.user_data_replace_on_change).toBe(false);
      expect(template.lifecycle).toMatchObject({ ignore_changes: ["image_id", "user_data"], create_before_destroy: true });
    });

    it("replaces the nodes when config.cluster.nodeGeneration changes", () => {
      expect(instance.lifecycle).toMatchObject({ replace_triggered_by: [keeper] });
      expect(template.lifecycle).toMatchObject({ replace_triggered_by: [keeper] });
      expect(oneResource(cluster, "time_static", "node-generation").triggers).toEqual({ node_generation: "1" });
      expect(oneResource(variant, "time_static", "node-generation").triggers).toEqual({ node_generation: "2" });
    });
  });

  describe("secrets", () => {
    it("generates the cluster CA, the admin certificate and the join token in Terraform", () => {
      expect(oneResource(cluster, "tls_self_signed_cert")).toMatchObject({ is_ca_certificate: true, subject: [{ common_name: "kubernetes" }] });
      expect(oneResource(cluster, "tls_private_key", "ca-key")).toMatchObject({ algorithm: "RSA", rsa_bits: 2048 });
      expect(oneResource(cluster, "tls_locally_signed_cert")).toMatchObject({ allowed_uses: expect.arrayContaining(["client_auth"]) });
      const id = oneResource(cluster, "random_string", "token-id");
      const secret = oneResource(cluster, "random_string", "token-secret");
      for (const [r, length] of [[id, 6], [secret, 16]] as const) {
        expect(r).toMatchObject({ length, upper: false, lower: true, numeric: true, special: false });
      }
    });

    it("signs the admin certificate for the project's own group on every minor, never system:masters or kubeadm's group", () => {
      expect((oneResource(cluster, "tls_cert_request").subject as Json[])[0]).toEqual({ common_name: "k8s-mesh-terraform-admin", organization: "k8s-mesh:terraform-admins:1" });
      expect((oneResource(variant, "tls_cert_request").subject as Json[])[0]).toMatchObject({ organization: expect.stringMatching(/:terraform-admins:1$/) });
    });

    it("stores the CA key and the token as SecureString, the CA certificate as String, under the cluster's path", () => {
      expect(oneResource(cluster, "aws_ssm_parameter", "ca-key")).toMatchObject({ name: params.caKey, type: "SecureString", value: ref("tls_private_key", "ca-key", "private_key_pem") });
      expect(oneResource(cluster, "aws_ssm_parameter", "ca-cert")).toMatchObject({ name: params.caCert, type: "String", value: ref("tls_self_signed_cert", "ca-cert", "cert_pem") });
      expect(oneResource(cluster, "aws_ssm_parameter", "join-token")).toMatchObject({
        name: params.joinToken,
        type: "SecureString",
        value: `${ref("random_string", "token-id", "result")}.${ref("random_string", "token-secret", "result")}`,
      });
      expect(params.caKey).toBe("/k8s-mesh/cluster/ca-key");
    });

    it("lets the control plane refresh the token without Terraform writing the old one back", () => {
      expect(oneResource(cluster, "aws_ssm_parameter", "join-token").lifecycle).toEqual({ ignore_changes: ["value"] });
    });
  });

  describe("IAM", () => {
    it("gives each node kind its own role and instance profile, trusted by EC2 only", () => {
      const roles = resourcesOf(cluster, "aws_iam_role");
      expect(Object.keys(roles)).toHaveLength(2);
      for (const role of Object.values(roles)) {
        expect(JSON.parse(String(role.assume_role_policy)).Statement).toEqual([
          { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
      }
      const profiles = Object.values(resourcesOf(cluster, "aws_iam_instance_profile")).map((p) => p.role);
      expect(new Set(profiles).size).toBe(2);
    });

    it("attaches Session Manager to both roles, in the partition the credentials live in", () => {
      const attachments = Object.values(resourcesOf(cluster, "aws_iam_role_policy_attachment"));
      const partitions = Object.keys(dataOf(cluster, "aws_partition"));
      expect(partitions).toHaveLength(1);
      const arn = awsManagedPolicyArn(`\${data.aws_partition.${partitions[0]}.partition}`, SSM_MANAGED_INSTANCE_POLICY);
      expect(arn).toMatch(/^arn:\$\{data\.aws_partition\.[^}]+\.partition\}:iam::aws:policy\/AmazonSSMManagedEC2InstanceDefaultPolicy$/);
      expect(attachments.map((a) => a.policy_arn)).toEqual([arn, arn]);
      expect(new Set(attachments.map((a) => a.role)).size).toBe(2);
    });

    it("writes no ARN of the commercial partition in another partition's region", () => {
      const china = synthApp({ region: "cn-north-1", availabilityZones: ["cn-north-1a", "cn-north-1b"] });
      for (const name of ["network", "cluster", "platform", "apps"] as const) {
        expect({ name, hardCoded: JSON.stringify(china.stack(name).tf).match(/arn:aws:[^"]{0,60}/g) ?? [] }).toEqual({ name, hardCoded: [] });
      }
      // The check can fail: in a commercial region the EBS driver's policy (platform) carries such ARNs.
      expect(JSON.stringify(synthApp().stack("platform").tf)).toMatch(/arn:aws:ec2:/);
    });

    it("lets the control plane read the CA key, CA certificate, token and Secrets encryption key, and write only the token", () => {
      const statements = policy("control-plane");
      const reads = statements.filter((s) => s.Action.includes("ssm:GetParameter")).flatMap((s) => s.Resource);
      const writes = statements.filter((s) => s.Action.includes("ssm:PutParameter")).flatMap((s) => s.Resource);
      expect(reads.sort()).toEqual([caKeyArn, caCertArn, tokenArn, ref("aws_ssm_parameter", "secrets-encryption-key", "arn")].sort());
      expect(writes).toEqual([tokenArn]);
      expect(statements.flatMap((s) => s.Action).sort()).toEqual(["ssm:GetParameter", "ssm:PutParameter"]);
    });

    it("lets workers read the token and the CA certificate, and never names the CA key", () => {
      const statements = policy("worker");
      expect(statements.flatMap((s) => s.Action)).toEqual(["ssm:GetParameter"]);
      expect(statements.flatMap((s) => s.Resource).sort()).toEqual([caCertArn, tokenArn].sort());
      const text = String(oneResource(cluster, "aws_iam_role_policy", "worker").policy);
      expect(text).not.toContain(addressOf(tf, "aws_ssm_parameter", "ca-key"));
      expect(text).not.toContain("ca-key");
    });

    it("grants no wildcard resource in the cluster's own policies", () => {
      for (const kind of ["control-plane", "worker"]) {
        for (const s of policy(kind)) expect(s.Resource.every((r) => r.startsWith("${aws_ssm_parameter."))).toBe(true);
      }
    });
  });

  describe("readiness gate", () => {
    const gate = oneResource(cluster, "time_static", "readiness");
    const [provisioner] = gate.provisioner as Array<{ "local-exec": { command: string; environment: Record<string, string> } }>;
    const exec = provisioner?.["local-exec"];

    it("is a create-time local-exec on time_static, not a plan-time data source", () => {
      expect(exec).toBeDefined();
      expect(Object.keys(dataOf(cluster, "http"))).toHaveLength(0);
      expect(JSON.stringify(gate.provisioner)).not.toContain('"when"');
    });

    it("leaves no plan-time read of the cluster in the stack, so diff and destroy never wait for it", () => {
      // aws_partition and aws_caller_identity read the provider's own credentials, not the cluster.
      expect(Object.keys(cluster.tf.data ?? {}).sort()).toEqual(["aws_ami", "aws_caller_identity", "aws_instances", "aws_partition", "terraform_remote_state"]);
      // The worker-address lookup reads EC2 (empty when the group is gone), and only after the gate.
      expect(Object.values(dataOf(cluster, "aws_instances"))[0]?.depends_on).toEqual([addressOf(tf, "time_static", "readiness")]);
    });

    it("runs the shipped readiness program from the stack's assets, with no credential on its command line", () => {
      expect(exec?.command).toMatch(/^node assets\/[^ ]+\/wait-for-cluster\.cjs$/);
      expect(exec?.command).not.toContain("${");
    });

    it("passes the API address, CA, client certificate and key, node count and bound through its environment", () => {
      expect(exec?.environment).toEqual({
        CLUSTER_API_SERVER_URL: `https://${ref("aws_eip", "eip", "public_ip")}:${PORTS.kubeApiServer.port}`,
        CLUSTER_CA_CERT_PEM: ref("tls_self_signed_cert", "ca-cert", "cert_pem"),
        CLUSTER_CLIENT_CERT_PEM: ref("tls_locally_signed_cert", "admin-cert", "cert_pem"),
        CLUSTER_CLIENT_KEY_PEM: `\${nonsensitive(${addressOf(tf, "tls_private_key", "admin-key")}.private_key_pem)}`,
        CLUSTER_EXPECTED_NODES: "3",
        CLUSTER_WAIT_TIMEOUT_SECONDS: String(app.config.cluster.readinessTimeoutMinutes * 60),
        CLUSTER_AWS_REGION: app.config.region,
        CLUSTER_CONTROL_PLANE_INSTANCE_ID: ref("aws_instance", "control-plane", "id"),
        CLUSTER_WORKER_GROUP: ref("aws_autoscaling_group", "workers", "name"),
      });
    });

    it("waits again whenever the control plane or the worker template is replaced", () => {
      expect(gate.triggers).toEqual({
        api_server_url: `https://${ref("aws_eip", "eip", "public_ip")}:${PORTS.kubeApiServer.port}`,
        control_plane_instance: ref("aws_instance", "control-plane", "id"),
        workers_group: ref("aws_autoscaling_group", "workers", "id"),
        workers_launch_template: `${ref("aws_launch_template", "launch-template", "id")}:${ref("aws_launch_template", "launch-template", "latest_version")}`,
        expected_nodes: "3",
      });
      expect(gate.depends_on).toEqual(
        expect.arrayContaining([addressOf(tf, "aws_instance", "control-plane"), addressOf(tf, "aws_autoscaling_group", "workers"), addressOf(tf, "aws_eip", "eip")]),
      );
    });

    it("counts the control plane and every configured worker", () => {
      const [p] = oneResource(variant, "time_static", "readiness").provisioner as Array<{ "local-exec": { environment: Record<string, string> } }>;
      expect(p?.["local-exec"].environment.CLUSTER_EXPECTED_NODES).toBe("5");
    });
  });

  describe("outputs", () => {
    // The outputs this stack names (CDKTF adds its own cross-stack outputs for the next stacks).
    const outputs = Object.fromEntries(Object.entries(tf.output ?? {}).filter(([n]) => !n.startsWith("cross-stack-output-")));
    const eipIp = ref("aws_eip", "eip", "public_ip");

    it("exposes every output other tools read, the client key sensitive", () => {
      for (const name of Object.values(OUTPUT_NAMES.cluster)) expect(outputs[name]).toBeDefined();
      expect(outputs[OUTPUT_NAMES.cluster.clientKeyPem]?.sensitive).toBe(true);
      const sensitive = Object.entries(outputs).filter(([, o]) => o.sensitive).map(([n]) => n);
      expect(sensitive).toEqual([OUTPUT_NAMES.cluster.clientKeyPem]);
    });

    it("points the URLs at the Elastic IP and the configured ports", () => {
      expect(outputs[OUTPUT_NAMES.cluster.apiServerUrl]?.value).toBe(`https://${eipIp}:${PORTS.kubeApiServer.port}`);
      expect(outputs[OUTPUT_NAMES.cluster.grafanaUrl]?.value).toBe(`http://${eipIp}:${app.config.nodePorts.grafana}`);
      expect(outputs[OUTPUT_NAMES.cluster.bookinfoUrl]?.value).toBe(`http://${eipIp}:${app.config.nodePorts.bookinfo}/productpage`);
      expect(outputs[OUTPUT_NAMES.cluster.controlPlanePrivateIp]?.value).toBe("10.0.1.10");
    });

    it("publishes the outputs only once the readiness gate has passed", () => {
      for (const o of Object.values(outputs) as Array<{ depends_on?: string[] }>) {
        // A bare address: Terraform rejects an interpolation ("${…}") in an output's depends_on.
        expect(o.depends_on).toEqual([addressOf(tf, "time_static", "readiness")]);
      }
    });

    it("hands the platform stack the API URL, CA, client certificate and key, and the service-account issuer", () => {
      const o = app.stacks.cluster.outputs;
      expect(Object.keys(o).sort()).toEqual(["apiServerUrl", "caCertificatePem", "clientCertificatePem", "clientKeyPem", "oidcProviderArn", "serviceAccountIssuerHost"]);
    });

    it("hands over the API URL read back from the gate, so the next stacks depend on the gate having passed", () => {
      const crossStack = Object.entries(tf.output ?? {}).filter(([n]) => n.startsWith("cross-stack-output-"));
      // CDKTF exports the gate's triggers map; the consumer reads `.api_server_url` from it.
      expect(crossStack.map(([, o]) => o.value)).toContain(`\${${addressOf(tf, "time_static", "readiness")}.triggers}`);
      expect(crossStack.map(([, o]) => o.value)).not.toContain(`https://${eipIp}:${PORTS.kubeApiServer.port}`);
      for (const [, o] of crossStack) expect(o.sensitive).toBe(true);
    });
  });
});
