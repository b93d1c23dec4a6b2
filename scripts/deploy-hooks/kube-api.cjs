// @ts-check
/**
 * What the deploy hooks in this folder share: reading their settings from
 * the environment, and GETs against the Kubernetes API server with the admin
 * client certificate. Plain Node, built-in modules only: Terraform's
 * local-exec provisioners run the hooks with `node`, from the copy of this
 * folder in the stack's synthesized assets.
 */
"use strict";

const https = require("node:https");

/**
 * @typedef {{ url: string, ca: string, cert: string, key: string }} ApiServer
 * @typedef {{ ok: true, status: number, body: string } | { ok: false, reason: string }} Answer
 */

/**
 * Reads settings from `env`, collecting every problem instead of stopping at
 * the first, so one run names everything that is wrong.
 * @param {NodeJS.ProcessEnv} env
 */
function settingsReader(env) {
  /** @type {string[]} */
  const problems = [];
  /** @param {string} name */
  const required = (name) => {
    const v = env[name];
    if (!v) problems.push(`${name} is not set`);
    return v ?? "";
  };
  /**
   * A positive number of seconds; `fallback` when unset, a problem when unset without one.
   * @param {string} name @param {number | undefined} fallback
   */
  const seconds = (name, fallback) => {
    const raw = env[name];
    if (raw === undefined || raw === "") {
      if (fallback === undefined) problems.push(`${name} is not set`);
      return fallback ?? 0;
    }
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) problems.push(`${name} must be a positive number of seconds, got ${JSON.stringify(raw)}`);
    return n;
  };
  /**
   * The API server's address and the admin credentials, from
   * `<prefix>_API_SERVER_URL`, `_CA_CERT_PEM`, `_CLIENT_CERT_PEM` and `_CLIENT_KEY_PEM`.
   * @param {string} prefix
   * @returns {ApiServer}
   */
  const apiServer = (prefix) => {
    const name = `${prefix}_API_SERVER_URL`;
    const url = required(name);
    if (url && !/^https:\/\/[^/]+$/.test(url)) problems.push(`${name} must be https://host:port, got ${JSON.stringify(url)}`);
    return {
      url,
      ca: required(`${prefix}_CA_CERT_PEM`),
      cert: required(`${prefix}_CLIENT_CERT_PEM`),
      key: required(`${prefix}_CLIENT_KEY_PEM`),
    };
  };
  return { problems, required, seconds, apiServer };
}

/**
 * One GET with the client certificate; the server must chain to the CA. Any
 * HTTP status is an answer; only a failed connection, TLS handshake or a
 * request with no answer within `timeoutMs` is not.
 * @param {ApiServer} api
 * @param {string} path
 * @param {number} timeoutMs
 * @returns {Promise<Answer>}
 */
function get(api, path, timeoutMs) {
  return new Promise((resolve) => {
    const req = https.request(
      `${api.url}${path}`,
      { method: "GET", ca: api.ca, cert: api.cert, key: api.key, timeout: timeoutMs, headers: { Accept: "application/json" } },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("error", (e) => resolve({ ok: false, reason: `reading the answer failed: ${e.message}` }));
        res.on("end", () => resolve({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.on("error", (e) => resolve({ ok: false, reason: e.message }));
    req.end();
  });
}

/** @param {number} ms @returns {Promise<void>} */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends the program with exit code 2 when its input is wrong, naming every
 * problem (never a value that could be a secret).
 * @param {string} program
 * @param {string[]} problems
 */
function exitOnProblems(program, problems) {
  if (problems.length === 0) return;
  console.error(`${program}: ${problems.join("; ")}`);
  process.exit(2);
}

module.exports = { settingsReader, get, sleep, exitOnProblems };
