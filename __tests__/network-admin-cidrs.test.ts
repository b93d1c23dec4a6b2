/**
 * The admin-CIDR lookup never blocks a diff or a destroy once a deploy has
 * kept its answer: the synthesized expressions are evaluated by Terraform
 * itself (terraform console, no provider) with the answers AWS and the lookup
 * service would give. The attribute names are the providers' own
 * (aws 6.25.0 data source ssm_parameters_by_path: `names` and `values`, in
 * the same order; http 3.5.0 data source http: `status_code`, `response_body`;
 * a data source with count is a list of such objects).
 */
import { dataOf, resourcesOf, synthApp, synthNetwork, type SynthesizedStack } from "./helpers/synth";
import { CONFIG_VARIANTS } from "./helpers/config-variants";
import { evaluatePostcondition, evaluateTemplates, postconditionsOf, type Postcondition } from "./helpers/condition-eval";
import { describeWith, requireTool, TERRAFORM_INSTALL_HINT } from "./helpers/tools";
import { networkParameterNames } from "../stacks/network/admin-cidrs";
import { PORTS } from "../lib/ports";

const terraform = requireTool("terraform", "terraform", TERRAFORM_INSTALL_HINT);
const PARAM = networkParameterNames({ name: "k8s-mesh" }).adminCidr;

type Json = Record<string, unknown>;

function only(stack: SynthesizedStack, kind: "data" | "resource", type: string): [string, Json] {
  const all = Object.entries(kind === "data" ? dataOf(stack, type) : resourcesOf(stack, type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  const [id, body] = all[0] as [string, Json];
  return [kind === "data" ? `data.${type}.${id}` : `${type}.${id}`, body];
}

/** The locals of the admin-CIDR construct: the kept answer and the CIDR the rules use. */
function adminLocals(stack: SynthesizedStack): { kept: [string, string]; cidr: [string, string] } {
  const locals = Object.entries((stack.tf.locals ?? {}) as Record<string, string>);
  const find = (part: string) => {
    const hit = locals.filter(([k]) => k.includes(part));
    if (hit.length !== 1) throw new Error(`expected one local matching ${part}`);
    const [k, v] = hit[0] as [string, string];
    return [`local.${k}`, v] as [string, string];
  };
  return { kept: find("kept-admin-cidr"), cidr: find("admin-cidrs_admin-cidr") };
}

/** What a plan makes of the lookup's count and the CIDR, given SSM's answer and (when read) the lookup's. */
function plan(stack: SynthesizedStack, ssm: { names: string[]; values: string[] }, lookupAnswers: Json[]) {
  const [byPath] = only(stack, "data", "aws_ssm_parameters_by_path");
  const [http, httpBody] = only(stack, "data", "http");
  const { kept, cidr } = adminLocals(stack);
  const tf = terraform as string;
  const keptValue = evaluateTemplates(tf, { v: kept[1] }, { others: { [byPath]: ssm } }).v;
  const r = evaluateTemplates(tf, { count: String(httpBody.count), cidr: cidr[1] }, { others: { [kept[0]]: keptValue, [http]: lookupAnswers } });
  return { count: r.count as number, cidr: r.cidr as string };
}

describeWith(terraform)("admin CIDRs", () => {
  const network = synthNetwork();

  describe("set in config", () => {
    const pinned = synthNetwork({ access: { adminCidrs: ["203.0.113.7/32"] } });

    it("look nothing up: no lookup, no http provider, no kept answer", () => {
      expect(dataOf(pinned, "http")).toEqual({});
      expect(pinned.tf.provider?.http).toBeUndefined();
      expect(dataOf(pinned, "aws_ssm_parameters_by_path")).toEqual({});
      expect(resourcesOf(pinned, "aws_ssm_parameter")).toEqual({});
    });
  });

  describe("looked up once (the default)", () => {
    const rules = Object.values(resourcesOf(network, "aws_vpc_security_group_ingress_rule")).filter((r) => r.from_port === PORTS.kubeApiServer.port);
    const [, kept] = only(network, "resource", "aws_ssm_parameter");
    const { cidr } = adminLocals(network);

    it("the first plan, with nothing kept, reads the lookup and uses its answer", () => {
      expect(plan(network, { names: [], values: [] }, [{ status_code: 200, response_body: "198.51.100.23\n" }])).toEqual({ count: 1, cidr: "198.51.100.23/32" });
    });

    it("keeps the answer in an SSM parameter that the rules and the output use", () => {
      expect(kept).toMatchObject({ name: PARAM, type: "String", value: `\${${cidr[0]}}` });
      expect(rules.map((r) => r.cidr_ipv4)).toEqual([`\${${cidr[0]}}`]);
      expect(network.tf.output?.admin_cidrs?.value).toEqual([`\${${cidr[0]}}`]);
      expect(only(network, "data", "aws_ssm_parameters_by_path")[1]).toEqual({ path: "/k8s-mesh/network", recursive: false });
    });

    it("every later plan (diff, destroy) uses the kept answer and never reads the lookup: count 0", () => {
      const ssm = { names: ["/k8s-mesh/network/other", PARAM], values: ["x", "198.51.100.23/32"] };
      // No lookup answer exists: with count 0 Terraform has no instance to read, reachable or not.
      expect(plan(network, ssm, [])).toEqual({ count: 0, cidr: "198.51.100.23/32" });
    });

    it("a deployer on another network changes nothing: the kept answer wins", () => {
      const ssm = { names: [PARAM], values: ["198.51.100.23/32"] };
      expect(plan(network, ssm, [{ status_code: 200, response_body: "203.0.113.99" }]).cidr).toBe("198.51.100.23/32");
    });

    it("ignores other parameters in the folder", () => {
      expect(plan(network, { names: ["/k8s-mesh/network/other"], values: ["10.0.0.0/8"] }, [{ status_code: 200, response_body: "192.0.2.1" }])).toEqual({
        count: 1,
        cidr: "192.0.2.1/32",
      });
    });
  });

  describe("the lookup's own checks (the first deploy, or every plan with every-plan)", () => {
    const [, http] = only(network, "data", "http");
    const [status, body] = postconditionsOf(http) as [Postcondition, Postcondition];

    it("fail on an answer other than 200, saying what to set instead", () => {
      expect(evaluatePostcondition(terraform as string, status, { status_code: 503, response_body: "" })).toEqual({
        holds: false,
        message:
          "Looking up this machine's public IPv4 at https://checkip.amazonaws.com did not answer 200. " +
          "Set access.adminCidrs (K8S_MESH_ACCESS__ADMIN_CIDRS) to the addresses that may reach the cluster.",
      });
    });

    it.each([["<html>captive portal</html>"], ["203.0.113.7, 198.51.100.1"], ["300.1.2.3"]])("fail on a body that is not one IPv4 address: %j", (answer) => {
      expect(evaluatePostcondition(terraform as string, body, { status_code: 200, response_body: answer })).toEqual({
        holds: false,
        message:
          "The answer of https://checkip.amazonaws.com is not one IPv4 address. " +
          "Set access.adminCidrs (K8S_MESH_ACCESS__ADMIN_CIDRS) to the addresses that may reach the cluster.",
      });
    });

    it("pass on one address with a trailing newline (checkip's answer)", () => {
      for (const check of [status, body]) expect(evaluatePostcondition(terraform as string, check, { status_code: 200, response_body: "203.0.113.7\n" }).holds).toBe(true);
    });
  });

  describe("looked up on every plan", () => {
    const every = synthNetwork({ access: { adminCidrLookup: "every-plan" } });

    it("reads the lookup on every plan, keeps nothing, and the rules follow its answer", () => {
      const [http, body] = only(every, "data", "http");
      expect(body.count).toBeUndefined();
      expect(dataOf(every, "aws_ssm_parameters_by_path")).toEqual({});
      expect(resourcesOf(every, "aws_ssm_parameter")).toEqual({});
      const api = Object.values(resourcesOf(every, "aws_vpc_security_group_ingress_rule")).filter((r) => r.from_port === PORTS.kubeApiServer.port);
      expect(api).toHaveLength(1);
      const r = evaluateTemplates(terraform as string, { cidr: String(api[0]?.cidr_ipv4) }, { others: { [http]: { status_code: 200, response_body: "203.0.113.99\n" } } });
      expect(r.cidr).toBe("203.0.113.99/32");
    });
  });

  describe("what a plan reads outside AWS (every stack, every config variant)", () => {
    it.each(CONFIG_VARIANTS.map((v) => [v.name, v.context] as const))("%s: AWS, Terraform state, and at most the admin lookup", (_name, context) => {
      const app = synthApp(context);
      const once = app.config.access.adminCidrs.length === 0 && app.config.access.adminCidrLookup === "once";
      for (const stack of ["network", "cluster", "platform", "apps"] as const) {
        for (const [type, instances] of Object.entries(app.stack(stack).tf.data ?? {})) {
          if (type.startsWith("aws_")) continue;
          if (type === "terraform_remote_state") {
            for (const body of Object.values(instances)) expect(["local", "s3"]).toContain((body as Json).backend);
            continue;
          }
          // The platform's reads of the service-account issuer's two public documents are S3 (AWS) over HTTPS, as STS reads them.
          if (stack === "platform" && type === "http") {
            for (const body of Object.values(instances)) expect(String((body as Json).url)).toMatch(/^https:\/\/\$\{data\.terraform_remote_state\.[^}]*bucket_regional_domain_name\}\/(\.well-known\/openid-configuration|openid\/v1\/jwks)$/);
            continue;
          }
          // The one call outside AWS: the admin lookup, read only while no answer is kept (count 0 afterwards) unless every-plan is chosen.
          expect(`${stack}: ${type}`).toBe("network: http");
          for (const body of Object.values(instances)) {
            if (once) expect(String((body as Json).count)).toMatch(/^\$\{local\.admin-cidrs_kept-admin-cidr_[0-9A-F]+ == "" \? 1 : 0\}$/);
            else expect(app.config.access.adminCidrLookup).toBe("every-plan");
          }
        }
      }
    });
  });
});
