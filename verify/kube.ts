/**
 * The Kubernetes API, reached the way the Terraform providers reach it: the
 * API server URL, its CA and a client certificate (from the cluster stack's
 * outputs), or any kubeconfig whose user has a client certificate or a token.
 */
import { readFileSync } from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { request, VerifyError, parseJson, type HttpResponse } from "./http";
import { decode, status } from "./schemas";

export interface KubeCredentials {
  readonly server: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
  /** Where these came from, for evidence (`cluster stack outputs`, `kubeconfig ~/x (context y)`). */
  readonly source: string;
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === "object" ? (obj as Record<string, unknown>)[key] : undefined;
}

function str(obj: unknown, key: string): string | undefined {
  const v = field(obj, key);
  return typeof v === "string" && v !== "" ? v : undefined;
}

function named(list: unknown, name: string, kind: string, file: string): unknown {
  const entry = Array.isArray(list) ? list.find((e) => field(e, "name") === name) : undefined;
  if (!entry) throw new VerifyError(`kubeconfig ${file}: no ${kind} named ${JSON.stringify(name)}`);
  return field(entry, kind);
}

/** Reads a kubeconfig file; supports certificate and token users (not exec or auth-provider plugins). */
export function credentialsFromKubeconfig(file: string, contextName?: string): KubeCredentials {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new VerifyError(`kubeconfig ${file}: cannot read it (${(e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new VerifyError(`kubeconfig ${file}: not valid YAML (${(e as Error).message})`);
  }
  const ctxName = contextName ?? str(doc, "current-context");
  if (!ctxName) throw new VerifyError(`kubeconfig ${file}: no current-context; pass --context`);
  const ctx = named(field(doc, "contexts"), ctxName, "context", file);
  const clusterName = str(ctx, "cluster");
  const userName = str(ctx, "user");
  if (!clusterName || !userName) throw new VerifyError(`kubeconfig ${file}: context ${ctxName} needs a cluster and a user`);
  const cluster = named(field(doc, "clusters"), clusterName, "cluster", file);
  const user = named(field(doc, "users"), userName, "user", file);
  const base = path.dirname(file);
  const fromDataOrFile = (dataKey: string, fileKey: string): string | undefined => {
    const data = str(cluster, dataKey) ?? str(user, dataKey);
    if (data) return Buffer.from(data, "base64").toString("utf8");
    const f = str(cluster, fileKey) ?? str(user, fileKey);
    if (!f) return undefined;
    try {
      return readFileSync(path.resolve(base, f), "utf8");
    } catch (e) {
      throw new VerifyError(`kubeconfig ${file}: cannot read ${fileKey} ${f} (${(e as Error).message})`);
    }
  };
  if (field(user, "exec") !== undefined || field(user, "auth-provider") !== undefined) {
    throw new VerifyError(`kubeconfig ${file}: user ${userName} uses an exec or auth-provider plugin; use a client certificate or token user`);
  }
  const server = str(cluster, "server");
  if (!server) throw new VerifyError(`kubeconfig ${file}: cluster ${clusterName} has no server`);
  const token = str(user, "token");
  const creds: KubeCredentials = {
    server,
    ca: fromDataOrFile("certificate-authority-data", "certificate-authority"),
    cert: fromDataOrFile("client-certificate-data", "client-certificate"),
    key: fromDataOrFile("client-key-data", "client-key"),
    ...(token ? { token } : {}),
    source: `kubeconfig ${file} (context ${ctxName})`,
  };
  if (!creds.token && !(creds.cert && creds.key)) {
    throw new VerifyError(`kubeconfig ${file}: user ${userName} has neither a client certificate and key nor a token`);
  }
  return creds;
}

/** A GET-only view of the API server, with answers checked against a schema. */
export class KubeApi {
  private readonly agent: https.Agent;

  constructor(readonly creds: KubeCredentials) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: creds.ca, cert: creds.cert, key: creds.key });
  }

  private url(apiPath: string): string {
    return this.creds.server.replace(/\/+$/, "") + apiPath;
  }

  /** GET a path; returns status and body without judging the status. */
  async raw(apiPath: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
    return this.send(apiPath, {}, signal);
  }

  /**
   * Any request to a path (a service proxy's POST included), with extra
   * headers; returns status, body and cookies without judging the status.
   * The API server takes the Authorization header for itself and removes it
   * before proxying, so a proxied service never sees it.
   */
  async send(
    apiPath: string,
    opts: { method?: "GET" | "POST"; headers?: Record<string, string>; body?: string },
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    const auth: Record<string, string> = this.creds.token ? { authorization: `Bearer ${this.creds.token}` } : {};
    return request(this.url(apiPath), {
      signal,
      method: opts.method ?? "GET",
      headers: { ...opts.headers, ...auth },
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      tls: { ca: this.creds.ca, cert: this.creds.cert, key: this.creds.key },
      agent: this.agent,
    });
  }

  /** GET a path that must answer 200; any other status becomes a VerifyError with the API's own message. */
  async text(apiPath: string, signal: AbortSignal): Promise<string> {
    const res = await this.raw(apiPath, signal);
    if (res.status !== 200) throw new VerifyError(describeStatus(apiPath, res.status, res.body));
    return res.body;
  }

  async get<T>(apiPath: string, schema: z.ZodType<T>, signal: AbortSignal): Promise<T> {
    const body = await this.text(apiPath, signal);
    return decode(`GET ${apiPath}`, schema, parseJson(`GET ${apiPath}`, body));
  }
}

/** The message of a Kubernetes Status answer, or the start of the text when it is not one. */
export function statusMessage(body: string): string {
  const text = body.trim().slice(0, 200);
  try {
    const parsed = status.safeParse(JSON.parse(body));
    if (parsed.success) return parsed.data.message ?? parsed.data.reason ?? text;
  } catch {
    // not JSON: keep the text
  }
  return text;
}

/** `GET /api/v1/nodes: HTTP 401 (...)`, using the API's Status message when there is one. */
export function describeStatus(apiPath: string, code: number, body: string): string {
  const message = statusMessage(body);
  const hint =
    code === 401
      ? " (the API server did not accept these credentials)"
      : code === 403
        ? " (authenticated, but not allowed: the user needs cluster-admin)"
        : "";
  return `GET ${apiPath}: HTTP ${code}${hint}${message ? `: ${message}` : ""}`;
}
