/**
 * The Terraform admin certificate: a revocable identity of the project's own
 * that lives days. Stands in for CIS Kubernetes Benchmark v1.9.0 5.1.7 (avoid
 * system:masters) and the revocation gap behind 3.1.1 (client certificates
 * for users). The control plane's side (the ClusterRoleBinding made right
 * after kubeadm init) is run in cluster-userdata-run.test.ts.
 */
import type { Construct } from "constructs";
import type { TerraformResource } from "cdktf";
import { oneResource, synthApp } from "./helpers/synth";
import { adminCertificateViolations } from "./helpers/security-rules";
import type { ProjectStacks } from "../main";
import { ADMIN_CERT_EARLY_RENEWAL_HOURS, ADMIN_CERT_VALIDITY_HOURS, terraformAdminIdentity } from "../stacks/cluster/settings";

const WEEK = 7 * 24;
const app = synthApp({});

function adminPart(stacks: ProjectStacks, id: string): TerraformResource {
  const secrets = stacks.cluster.node.findChild("secrets") as Construct;
  return secrets.node.findChild(id) as TerraformResource;
}

describe("Terraform admin certificate", () => {
  it("names the project's own group and lives a week, re-issued by any cluster deploy in its last five days", () => {
    const cluster = app.stack("cluster");
    expect(oneResource(cluster, "tls_cert_request", "admin").subject).toEqual([
      { common_name: terraformAdminIdentity(app.config).commonName, organization: terraformAdminIdentity(app.config).group },
    ]);
    const cert = oneResource(cluster, "tls_locally_signed_cert", "admin");
    expect(cert.validity_period_hours).toBe(ADMIN_CERT_VALIDITY_HOURS);
    expect(cert.early_renewal_hours).toBe(ADMIN_CERT_EARLY_RENEWAL_HOURS);
    expect(ADMIN_CERT_VALIDITY_HOURS).toBeLessThanOrEqual(WEEK);
  });

  it("no stack issues a client certificate in an unrevocable group or for longer than a week", () => {
    for (const stack of ["network", "cluster", "platform", "apps"] as const) {
      expect({ stack, violations: adminCertificateViolations(app.stack(stack), WEEK) }).toEqual({ stack, violations: [] });
    }
  });

  it("a new generation is a new group (the old binding, deleted, stays deleted)", () => {
    const next = synthApp({ access: { adminIdentityGeneration: 2 } });
    const org = (oneResource(next.stack("cluster"), "tls_cert_request", "admin").subject as Array<{ organization: string }>)[0]?.organization;
    expect(org).toBe(`${app.config.name}:terraform-admins:2`);
    expect(org).not.toBe(terraformAdminIdentity(app.config).group);
  });
});

describe("deliberately bad stacks: the check catches them", () => {
  it("an admin certificate in system:masters", () => {
    const bad = synthApp({}, (stacks) => adminPart(stacks, "admin-csr").addOverride("subject.0.organization", "system:masters"));
    expect(adminCertificateViolations(bad.stack("cluster"), WEEK)).toEqual([expect.stringContaining("system:masters, which no binding can revoke")]);
  });

  it("an admin certificate valid for a year", () => {
    const bad = synthApp({}, (stacks) => adminPart(stacks, "admin-cert").addOverride("validity_period_hours", 8760));
    expect(adminCertificateViolations(bad.stack("cluster"), WEEK)).toEqual([expect.stringContaining("lives 8760 hours")]);
  });

  it("an admin certificate no deploy re-issues", () => {
    const bad = synthApp({}, (stacks) => adminPart(stacks, "admin-cert").addOverride("early_renewal_hours", 0));
    expect(adminCertificateViolations(bad.stack("cluster"), WEEK)).toEqual([expect.stringContaining("never re-issued")]);
  });
});
