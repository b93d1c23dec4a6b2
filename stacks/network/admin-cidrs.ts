import { Construct } from "constructs";
import { TerraformLocal, Token } from "cdktf";
import { DataHttp } from "@cdktf/provider-http/lib/data-http";
import { HttpProvider } from "@cdktf/provider-http/lib/provider";
import { DataAwsSsmParametersByPath } from "@cdktf/provider-aws/lib/data-aws-ssm-parameters-by-path";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { envName, type Config } from "../../lib/config";

/** The folder of the network stack's SSM parameters, and the kept admin CIDR in it. */
export function networkParameterNames(config: Pick<Config, "name">): { folder: string; adminCidr: string } {
  const folder = `/${config.name}/network`;
  return { folder, adminCidr: `${folder}/admin-cidr` };
}

export interface AdminCidrsProps {
  readonly config: Config;
}

/**
 * The source addresses allowed to reach the API server, the NodePorts and SSH.
 *
 * From config when `access.adminCidrs` is set: nothing is looked up, ever.
 * Otherwise the deploying machine's public IPv4 as a /32, asked from
 * `access.publicIpLookupUrl` (checked by postconditions: HTTP 200 and a body
 * that is one IPv4 address), and then, by `access.adminCidrLookup`:
 * - `once` (default): asked only while the SSM parameter
 *   `/<name>/network/admin-cidr` does not exist, i.e. by the first deploy, which
 *   stores the answer there. Every later plan, `diff` and `destroy` included,
 *   reads the parameter (AWS) and never calls the lookup service: a service
 *   that is down, or a deployer on another network, changes nothing.
 * - `every-plan`: asked on every plan, so the rules follow the deployer; a
 *   lookup that fails then fails every plan, destroy's included.
 */
export class AdminCidrs extends Construct {
  /** CIDRs, each a string (a Terraform expression when looked up). */
  readonly cidrs: string[];
  /** True when the address is looked up at plan time. */
  readonly detected: boolean;
  /** The lookup (with count 0 or 1 in `once` mode). */
  readonly lookup?: DataHttp;
  /** The kept answer, in `once` mode. */
  readonly kept?: SsmParameter;

  constructor(scope: Construct, id: string, props: AdminCidrsProps) {
    super(scope, id);
    const { config } = props;
    const { access } = config;
    this.detected = access.adminCidrs.length === 0;
    if (!this.detected) {
      this.cidrs = [...access.adminCidrs];
      return;
    }

    new HttpProvider(this, "http");
    const once = access.adminCidrLookup === "once";
    const names = networkParameterNames(config);
    // In `once` mode: the answer a previous deploy kept, or "" when none did.
    let stored = "";
    if (once) {
      const existing = new DataAwsSsmParametersByPath(this, "kept-answer", { path: names.folder, recursive: false });
      // The values are marked sensitive by the provider; this one is a public address.
      const kept = new TerraformLocal(this, "kept-admin-cidr", `\${lookup(nonsensitive(zipmap(${existing.fqn}.names, ${existing.fqn}.values)), "${names.adminCidr}", "")}`);
      stored = `local.${kept.friendlyUniqueId}`;
    }

    const fix = `Set access.adminCidrs (${envName(["access", "adminCidrs"])}) to the addresses that may reach the cluster.`;
    this.lookup = new DataHttp(this, "deployer-ip", {
      url: access.publicIpLookupUrl,
      requestTimeoutMs: 10000,
      retry: { attempts: 3, minDelayMs: 1000, maxDelayMs: 5000 },
      ...(once ? { count: Token.asNumber(`\${${stored} == "" ? 1 : 0}`) } : {}),
      lifecycle: {
        postcondition: [
          {
            condition: "${self.status_code == 200}",
            errorMessage: `Looking up this machine's public IPv4 at ${access.publicIpLookupUrl} did not answer 200. ${fix}`,
          },
          {
            condition: "${can(regex(\"^\\\\d{1,3}(\\\\.\\\\d{1,3}){3}$\", trimspace(self.response_body))) && can(cidrhost(format(\"%s/32\", trimspace(self.response_body)), 0))}",
            errorMessage: `The answer of ${access.publicIpLookupUrl} is not one IPv4 address. ${fix}`,
          },
        ],
      },
    });

    if (!once) {
      this.cidrs = [`\${trimspace(${this.lookup.fqn}.response_body)}/32`];
      return;
    }
    // The kept answer if there is one, else this plan's lookup (read only then).
    const looked = `try(format("%s/32", trimspace(one(${this.lookup.fqn}[*].response_body))), "")`;
    const cidr = new TerraformLocal(this, "admin-cidr", `\${${stored} != "" ? ${stored} : ${looked}}`);
    this.kept = new SsmParameter(this, "kept", {
      name: names.adminCidr,
      description: `Admin CIDR of ${config.name}, looked up once from ${access.publicIpLookupUrl} (delete it, or set access.adminCidrLookup to every-plan, to look up again)`,
      type: "String",
      value: cidr.asString,
    });
    this.cidrs = [cidr.asString];
  }
}
