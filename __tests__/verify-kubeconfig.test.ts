import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { credentialsFromKubeconfig } from "../verify/kube";

function kubeconfig(user: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), "verify-kc-"));
  writeFileSync(path.join(dir, "ca.crt"), "CA PEM");
  const file = path.join(dir, "config");
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "a",
      clusters: [{ name: "c", cluster: { server: "https://203.0.113.10:6443", "certificate-authority": "ca.crt" } }],
      users: [{ name: "u", user }],
      contexts: [{ name: "a", context: { cluster: "c", user: "u" } }, { name: "b", context: { cluster: "c", user: "missing" } }],
      ...extra,
    }),
  );
  return file;
}

describe("verify: kubeconfig credentials", () => {
  it("reads inline client certificates and a CA file relative to the kubeconfig", () => {
    const file = kubeconfig({ "client-certificate-data": Buffer.from("CERT").toString("base64"), "client-key-data": Buffer.from("KEY").toString("base64") });
    expect(credentialsFromKubeconfig(file)).toMatchObject({ server: "https://203.0.113.10:6443", ca: "CA PEM", cert: "CERT", key: "KEY", source: `kubeconfig ${file} (context a)` });
  });
  it("accepts a token user", () => {
    expect(credentialsFromKubeconfig(kubeconfig({ token: "abc" })).token).toBe("abc");
  });
  it("rejects exec plugins, users without credentials and unknown contexts with a message naming them", () => {
    expect(() => credentialsFromKubeconfig(kubeconfig({ exec: { command: "aws" } }))).toThrow(/user u uses an exec or auth-provider plugin/);
    expect(() => credentialsFromKubeconfig(kubeconfig({}))).toThrow(/neither a client certificate and key nor a token/);
    expect(() => credentialsFromKubeconfig(kubeconfig({ token: "x" }), "b")).toThrow(/no user named "missing"/);
    expect(() => credentialsFromKubeconfig(kubeconfig({ token: "x" }), "zzz")).toThrow(/no context named "zzz"/);
    expect(() => credentialsFromKubeconfig("/nonexistent/kubeconfig")).toThrow(/cannot read it/);
  });
});
