import { synthApp, resourcesOf, oneResource } from "./helpers/synth";

describe("NetworkStack", () => {
  const { stack } = synthApp();
  const network = stack("network");

  it("creates a VPC with DNS support", () => {
    expect(oneResource(network, "aws_vpc")).toMatchObject({ cidr_block: "10.0.0.0/16", enable_dns_support: true, enable_dns_hostnames: true });
  });

  it("creates one public subnet per availability zone", () => {
    const subnets = Object.values(resourcesOf(network, "aws_subnet"));
    expect(subnets.map((s) => s.availability_zone)).toEqual(["ap-northeast-2a", "ap-northeast-2c"]);
  });
});
