import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { PORTS } from "../lib/ports";
import { dataOf, oneResource, resourcesOf, synthNetwork, testConfig, type SynthesizedStack } from "./helpers/synth";
import {
  clusterPortExposureViolations,
  defaultSecurityGroupViolations,
  ingressRulesOf,
  missingDescriptionViolations,
  worldIngressViolations,
} from "./helpers/security-rules";
import { localStatePath } from "../lib/stack-base";
import type { NetworkStack } from "../stacks/network/network-stack";

const ADMIN = { access: { adminCidrs: ["203.0.113.7/32", "198.51.100.0/24"] } };

/** The network stack with something a reviewer must never let through. */
function badNetwork(add: (network: NetworkStack) => void): SynthesizedStack {
  return synthNetwork(ADMIN, add);
}

describe("NetworkStack", () => {
  const network = synthNetwork();

  describe("VPC", () => {
    it("has DNS support and hostnames", () => {
      expect(oneResource(network, "aws_vpc")).toMatchObject({ cidr_block: "10.0.0.0/16", enable_dns_support: true, enable_dns_hostnames: true });
    });

    it("has one public subnet per availability zone, in order", () => {
      const subnets = Object.values(resourcesOf(network, "aws_subnet"));
      expect(subnets.map((s) => [s.availability_zone, s.cidr_block])).toEqual([
        ["ap-northeast-2a", "10.0.1.0/24"],
        ["ap-northeast-2c", "10.0.2.0/24"],
      ]);
    });

    it("gives nodes public IPv4 addresses (accepted finding AVD-AWS-0164, see README)", () => {
      for (const s of Object.values(resourcesOf(network, "aws_subnet"))) expect(s.map_public_ip_on_launch).toBe(true);
    });

    it("routes 0.0.0.0/0 to the internet gateway and associates every subnet", () => {
      expect(oneResource(network, "aws_route")).toMatchObject({ destination_cidr_block: "0.0.0.0/0", gateway_id: expect.stringContaining("aws_internet_gateway") });
      expect(Object.keys(resourcesOf(network, "aws_route_table_association"))).toHaveLength(2);
    });

    it("follows the configured VPC and subnet CIDRs", () => {
      const custom = synthNetwork({
        network: { vpcCidr: "172.20.0.0/16", publicSubnetCidrs: ["172.20.0.0/20", "172.20.16.0/20", "172.20.32.0/20"] },
        availabilityZones: ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"],
      });
      expect(oneResource(custom, "aws_vpc").cidr_block).toBe("172.20.0.0/16");
      expect(Object.values(resourcesOf(custom, "aws_subnet")).map((s) => s.cidr_block)).toEqual(["172.20.0.0/20", "172.20.16.0/20", "172.20.32.0/20"]);
    });
  });

  describe("flow logs (CKV2_AWS_11)", () => {
    it("are off by default", () => {
      expect(resourcesOf(network, "aws_flow_log")).toEqual({});
    });

    it("send the VPC's traffic to a CloudWatch log group with the configured retention when enabled", () => {
      const logged = synthNetwork({ network: { flowLogs: { enabled: true, retentionDays: 90, trafficType: "ALL" } } });
      expect(oneResource(logged, "aws_flow_log")).toMatchObject({
        traffic_type: "ALL",
        log_destination_type: "cloud-watch-logs",
        vpc_id: expect.stringContaining("aws_vpc"),
      });
      expect(oneResource(logged, "aws_cloudwatch_log_group").retention_in_days).toBe(90);
    });
  });

  describe("admin CIDRs", () => {
    it("default to this machine's public IPv4, looked up at plan time and checked by postconditions", () => {
      const lookup = Object.values(dataOf(network, "http"));
      expect(lookup).toHaveLength(1);
      const conditions = ((lookup[0]?.lifecycle as { postcondition: Array<{ condition: string }> }).postcondition).map((p) => p.condition);
      expect(conditions).toEqual([expect.stringContaining("self.status_code == 200"), expect.stringContaining("cidrhost")]);
      const api = Object.values(resourcesOf(network, "aws_vpc_security_group_ingress_rule")).filter((r) => r.from_port === PORTS.kubeApiServer.port);
      expect(api).toHaveLength(1);
      // The answer a first deploy kept, or this plan's lookup (network-admin-cidrs.test.ts evaluates it).
      expect(api[0]?.cidr_ipv4).toMatch(/^\$\{local\.admin-cidrs_admin-cidr_[0-9A-F]+\}$/);
    });

    it("come from config when set, with no lookup", () => {
      const pinned = synthNetwork(ADMIN);
      expect(dataOf(pinned, "http")).toEqual({});
      const api = Object.values(resourcesOf(pinned, "aws_vpc_security_group_ingress_rule")).filter((r) => r.from_port === PORTS.kubeApiServer.port);
      expect(api.map((r) => r.cidr_ipv4).sort()).toEqual(["198.51.100.0/24", "203.0.113.7/32"]);
    });
  });

  describe("security groups", () => {
    const pinned = synthNetwork(ADMIN);
    const rules = Object.values(resourcesOf(pinned, "aws_vpc_security_group_ingress_rule"));

    it("let every node reach every other node on all ports: kubelet 10250, the Flannel overlay, webhooks", () => {
      const self = rules.filter((r) => r.referenced_security_group_id !== undefined);
      expect(self).toHaveLength(1);
      expect(self[0]).toMatchObject({ ip_protocol: "-1", security_group_id: self[0]?.referenced_security_group_id });
      expect(self[0]?.security_group_id).toContain("aws_security_group.security-groups_cluster");
      expect(self[0]?.description).toContain(`kubelet ${PORTS.kubelet.port}`);
      expect(self[0]?.description).toContain(`${PORTS.flannelVxlan.port}/udp`);
    });

    it("open the API server only on the control-plane group, from the admin CIDRs", () => {
      const api = rules.filter((r) => r.from_port === PORTS.kubeApiServer.port);
      expect(api.map((r) => r.security_group_id)).toEqual([
        expect.stringContaining("security-groups_control-plane"),
        expect.stringContaining("security-groups_control-plane"),
      ]);
    });

    it("open the Bookinfo and Grafana NodePorts from the admin CIDRs only", () => {
      for (const port of [PORTS.bookinfoNodePort.port, PORTS.grafanaNodePort.port]) {
        const r = rules.filter((x) => x.from_port === port);
        expect(r.map((x) => [x.to_port, x.cidr_ipv4]).sort()).toEqual([[port, "198.51.100.0/24"], [port, "203.0.113.7/32"]]);
      }
    });

    it("follow NodePorts moved by config", () => {
      const moved = synthNetwork({ ...ADMIN, nodePorts: { bookinfo: 31080, grafana: 31300 } });
      const ports = new Set(Object.values(resourcesOf(moved, "aws_vpc_security_group_ingress_rule")).map((r) => r.from_port));
      expect(ports).toEqual(new Set([undefined, PORTS.kubeApiServer.port, 31080, 31300]));
    });

    it("keep SSH closed unless a key pair is configured, then open it from the admin CIDRs", () => {
      expect(rules.filter((r) => r.from_port === PORTS.ssh.port)).toEqual([]);
      const ssh = synthNetwork({ ...ADMIN, access: { ...ADMIN.access, sshKeyName: "ops" } });
      const r = Object.values(resourcesOf(ssh, "aws_vpc_security_group_ingress_rule")).filter((x) => x.from_port === PORTS.ssh.port);
      expect(r.map((x) => x.cidr_ipv4).sort()).toEqual(["198.51.100.0/24", "203.0.113.7/32"]);
    });

    it("open the NodePorts (and nothing else) to the internet only when explicitly allowed", () => {
      const open = synthNetwork({ ...ADMIN, access: { ...ADMIN.access, allowPublicNodePorts: true } });
      const world = ingressRulesOf(open).filter((r) => r.cidr === "0.0.0.0/0");
      expect(world.map((r) => r.fromPort).sort()).toEqual([PORTS.bookinfoNodePort.port, PORTS.grafanaNodePort.port]);
    });

    it("let nodes reach the internet (packages, images, SSM)", () => {
      expect(oneResource(pinned, "aws_vpc_security_group_egress_rule")).toMatchObject({ ip_protocol: "-1", cidr_ipv4: "0.0.0.0/0" });
    });

    it("give every rule a stable key, so an added admin CIDR renames nothing", () => {
      const more = synthNetwork({ access: { adminCidrs: [...ADMIN.access.adminCidrs, "192.0.2.0/24"] } });
      const before = Object.keys(resourcesOf(pinned, "aws_vpc_security_group_ingress_rule"));
      const after = Object.keys(resourcesOf(more, "aws_vpc_security_group_ingress_rule"));
      expect(after).toEqual(expect.arrayContaining(before));
      expect(after.length - before.length).toBe(3);
    });
  });

  describe("scanner rules (offline stand-ins), each proven able to fail", () => {
    const stacks = [synthNetwork(), synthNetwork(ADMIN)];

    it("CKV_AWS_24 / CKV_AWS_277 / AVD-AWS-0107: no ingress from 0.0.0.0/0", () => {
      for (const s of stacks) expect(worldIngressViolations(s)).toEqual([]);
      const bad = badNetwork((n) => new VpcSecurityGroupIngressRule(n, "bad-ssh", { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0", description: "oops" }));
      expect(worldIngressViolations(bad)).toEqual(["bad-ssh: tcp 22-22 open to 0.0.0.0/0"]);
    });

    it("CKV_AWS_24 allows only the NodePorts to the world, only when config says so", () => {
      const open = synthNetwork({ access: { allowPublicNodePorts: true } });
      expect(worldIngressViolations(open)).toHaveLength(2);
      expect(worldIngressViolations(open, [PORTS.bookinfoNodePort.port, PORTS.grafanaNodePort.port])).toEqual([]);
    });

    it("CKV_AWS_23 / AVD-AWS-0099 / AVD-AWS-0124: every security group and rule has a description", () => {
      for (const s of stacks) expect(missingDescriptionViolations(s)).toEqual([]);
      const bad = badNetwork((n) => {
        new SecurityGroup(n, "bare", { name: "bare" });
        new VpcSecurityGroupIngressRule(n, "bare-rule", { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 80, toPort: 80, cidrIpv4: "10.0.0.0/8" });
      });
      expect(missingDescriptionViolations(bad)).toEqual([
        "aws_security_group.bare has no description",
        "aws_vpc_security_group_ingress_rule.bare-rule has no description",
      ]);
    });

    it("CKV2_AWS_12: the default security group allows nothing", () => {
      for (const s of stacks) expect(defaultSecurityGroupViolations(s)).toEqual([]);
      const bad = badNetwork((n) => new DefaultSecurityGroup(n, "open-default", { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, selfAttribute: true }] }));
      expect(defaultSecurityGroupViolations(bad)).toEqual(["aws_default_security_group.open-default has ingress rules"]);
    });

    it("kubelet, etcd, controller-manager, scheduler and metrics ports are never reachable from a CIDR", () => {
      for (const s of [...stacks, synthNetwork({ access: { allowPublicNodePorts: true, sshKeyName: "ops" } })]) {
        expect(clusterPortExposureViolations(s)).toEqual([]);
      }
      const bad = badNetwork((n) => new VpcSecurityGroupIngressRule(n, "kubelet-world", { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 10250, toPort: 10250, cidrIpv4: "0.0.0.0/0", description: "oops" }));
      expect(clusterPortExposureViolations(bad)).toEqual(["kubelet-world: kubelet port 10250 reachable from 0.0.0.0/0"]);
      const wide = badNetwork((n) => new VpcSecurityGroupIngressRule(n, "all-from-office", { securityGroupId: "sg-1", ipProtocol: "-1", cidrIpv4: "198.51.100.0/24", description: "oops" }));
      expect(clusterPortExposureViolations(wide)).toEqual(expect.arrayContaining([
        "all-from-office: etcd port 2379 reachable from 198.51.100.0/24",
        "all-from-office: kubeScheduler port 10259 reachable from 198.51.100.0/24",
      ]));
    });
  });

  describe("state backend", () => {
    it("keeps local state outside the synth output folder, at a path that is the same on every machine", () => {
      const backend = (network.tf.terraform as { backend: { local: { path: string } } }).backend.local;
      expect(backend.path).toBe("../../../terraform-state/network.tfstate");
      expect(backend.path).toBe(localStatePath(testConfig(), "network"));
    });

    it("uses S3 with native locking when configured", () => {
      const s3 = synthNetwork({ backend: { type: "s3", s3Bucket: "my-state", s3Region: "eu-west-1" } });
      expect((s3.tf.terraform as { backend: unknown }).backend).toEqual({
        s3: { bucket: "my-state", key: "k8s-mesh/network.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true },
      });
    });
  });

  it("tags every resource through the provider's default tags", () => {
    const tagged = synthNetwork({ tags: { CostCenter: "platform" } });
    expect(tagged.tf.provider?.["aws"]).toEqual([
      { region: "ap-northeast-2", default_tags: [{ tags: { Project: "k8s-mesh", ManagedBy: "cdktf", CostCenter: "platform" } }] },
    ]);
  });
});
