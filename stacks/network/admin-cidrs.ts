import { Construct } from "constructs";
import { Fn } from "cdktf";
import { DataHttp } from "@cdktf/provider-http/lib/data-http";
import { HttpProvider } from "@cdktf/provider-http/lib/provider";
import type { Config } from "../../lib/config";

export interface AdminCidrsProps {
  readonly config: Config;
}

/**
 * The source addresses allowed to reach the API server, the NodePorts and SSH.
 *
 * From config when `access.adminCidrs` is set. Otherwise the deploying
 * machine's public IPv4, asked at plan time from `access.publicIpLookupUrl`,
 * as a /32. Config validation never sees that plan-time answer, so the data
 * source checks it itself: HTTP 200 and a body that is one IPv4 address.
 *
 * If the deploying machine's address changes, the next plan moves the rules
 * to the new address (the old one loses access). Pin `access.adminCidrs`
 * to keep them stable.
 */
export class AdminCidrs extends Construct {
  /** CIDRs, each a string (a Terraform expression when looked up). */
  readonly cidrs: string[];
  /** True when the address is looked up at plan time. */
  readonly detected: boolean;

  constructor(scope: Construct, id: string, props: AdminCidrsProps) {
    super(scope, id);
    const { access } = props.config;
    this.detected = access.adminCidrs.length === 0;
    if (!this.detected) {
      this.cidrs = [...access.adminCidrs];
      return;
    }

    new HttpProvider(this, "http");
    const lookup = new DataHttp(this, "deployer-ip", {
      url: access.publicIpLookupUrl,
      requestTimeoutMs: 10000,
      retry: { attempts: 3, minDelayMs: 1000, maxDelayMs: 5000 },
      lifecycle: {
        postcondition: [
          {
            condition: "${self.status_code == 200}",
            errorMessage: `Looking up this machine's public IPv4 at ${access.publicIpLookupUrl} did not answer 200. Set access.adminCidrs (K8S_MESH_ACCESS__ADMIN_CIDRS) to the addresses that may reach the cluster.`,
          },
          {
            condition: "${can(regex(\"^\\\\d{1,3}(\\\\.\\\\d{1,3}){3}$\", trimspace(self.response_body))) && can(cidrhost(format(\"%s/32\", trimspace(self.response_body)), 0))}",
            errorMessage: `The answer of ${access.publicIpLookupUrl} is not one IPv4 address. Set access.adminCidrs (K8S_MESH_ACCESS__ADMIN_CIDRS) to the addresses that may reach the cluster.`,
          },
        ],
      },
    });
    this.cidrs = [`${Fn.trimspace(lookup.responseBody)}/32`];
  }
}
