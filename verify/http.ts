/**
 * One small HTTP(S) client for every endpoint the verify command talks to:
 * the Kubernetes API (client certificate or token; Prometheus, Grafana, Jaeger
 * and Loki behind its service proxy) and productpage (plain HTTP). Every request is bounded by the caller's
 * AbortSignal, the size of the answer is capped, and transport failures become
 * a VerifyError whose message says what went wrong in words a user can act on.
 */
import * as http from "node:http";
import * as https from "node:https";

/** An error whose message is meant for the user, as evidence of a failed check. */
export class VerifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VerifyError";
  }
}

export interface TlsMaterial {
  /** PEM of the CA that signed the server certificate; the system store when absent. */
  readonly ca?: string;
  /** PEM client certificate and key (mutual TLS). */
  readonly cert?: string;
  readonly key?: string;
}

export interface RequestOptions {
  readonly method?: "GET" | "POST";
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal: AbortSignal;
  readonly tls?: TlsMaterial;
  /** Connection pool to reuse (one TLS handshake for many API calls); a fresh connection when absent. */
  readonly agent?: http.Agent;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
  /** The response's Set-Cookie values (a session cookie after a login). */
  readonly setCookies?: readonly string[];
}

/** Answers larger than this are cut off with an error (a runaway or wrong endpoint). */
export const MAX_RESPONSE_BYTES = 20 * 1024 * 1024;

const SERVER_CERT_ERRORS = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Turns a transport error into a sentence naming the endpoint and the likely cause. */
export function describeTransportError(url: URL, err: NodeJS.ErrnoException, usedClientCert: boolean): string {
  const where = `${url.protocol}//${url.host}`;
  const code = err.code ?? "";
  if (err.name === "AbortError" || code === "ABORT_ERR") return `${where}: no answer before the check's timeout`;
  if (code === "ECONNREFUSED") return `${where}: connection refused (nothing listening, or a firewall rejects it)`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `${where}: host name does not resolve`;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "ETIMEDOUT") return `${where}: unreachable (${code}); check security groups and admin CIDRs`;
  if (SERVER_CERT_ERRORS.has(code)) return `${where}: server certificate not trusted with the cluster CA (${code})`;
  if (code.startsWith("ERR_SSL_") || code === "EPROTO" || /alert|handshake/i.test(err.message)) {
    return usedClientCert
      ? `${where}: TLS handshake refused by the server; it did not accept the client certificate (${code || err.message})`
      : `${where}: TLS handshake failed (${code || err.message})`;
  }
  if (code === "ECONNRESET" || code === "EPIPE") {
    return usedClientCert
      ? `${where}: connection reset during the request; the server may have refused the client certificate (${code})`
      : `${where}: connection reset by the server (${code})`;
  }
  return `${where}: ${err.message}${code ? ` (${code})` : ""}`;
}

export function request(urlText: string, opts: RequestOptions): Promise<HttpResponse> {
  const url = new URL(urlText);
  const isHttps = url.protocol === "https:";
  if (!isHttps && url.protocol !== "http:") return Promise.reject(new VerifyError(`${urlText}: only http and https URLs are supported`));
  const usedClientCert = Boolean(opts.tls?.cert);
  return new Promise<HttpResponse>((resolve, reject) => {
    if (opts.signal.aborted) {
      reject(new VerifyError(`${url.protocol}//${url.host}: no answer before the check's timeout`));
      return;
    }
    const common: http.RequestOptions = {
      method: opts.method ?? "GET",
      headers: { accept: "application/json, */*", ...opts.headers },
      signal: opts.signal,
      agent: opts.agent ?? false,
    };
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) {
          res.destroy();
          reject(new VerifyError(`${url.protocol}//${url.host}${url.pathname}: answer larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), setCookies: res.headers["set-cookie"] ?? [] }));
      res.on("error", (e: NodeJS.ErrnoException) => reject(new VerifyError(describeTransportError(url, e, usedClientCert))));
    };
    const req = isHttps
      ? https.request(url, { ...common, ca: opts.tls?.ca, cert: opts.tls?.cert, key: opts.tls?.key }, onResponse)
      : http.request(url, common, onResponse);
    req.on("error", (e: NodeJS.ErrnoException) => reject(new VerifyError(describeTransportError(url, e, usedClientCert))));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Parses JSON or throws a VerifyError naming what answered. */
export function parseJson(what: string, body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    const preview = body.slice(0, 80).replace(/\s+/g, " ");
    throw new VerifyError(`${what}: answer is not JSON (starts with ${JSON.stringify(preview)})`);
  }
}
