#!/usr/bin/env node
// @ts-check
/**
 * The cluster stack's readiness gate: waits until the Kubernetes API server
 * lists the nodes for the admin client certificate and enough nodes have
 * registered. Plain Node with built-in modules only: it runs from Terraform's
 * local-exec provisioner, in the stack's synthesized folder.
 *
 * Input, from the environment (never the command line, which other local
 * users can read):
 *   CLUSTER_API_SERVER_URL        https://<address>:<port>
 *   CLUSTER_CA_CERT_PEM           cluster CA certificate (the server must chain to it)
 *   CLUSTER_CLIENT_CERT_PEM       admin client certificate
 *   CLUSTER_CLIENT_KEY_PEM        admin client key
 *   CLUSTER_EXPECTED_NODES        nodes that must be registered (control plane + workers)
 *   CLUSTER_WAIT_TIMEOUT_SECONDS  overall bound
 *   CLUSTER_WAIT_INTERVAL_SECONDS pause between attempts (default 10)
 *   CLUSTER_REQUEST_TIMEOUT_SECONDS bound of one request (default 10)
 *   CLUSTER_AWS_REGION, CLUSTER_CONTROL_PLANE_INSTANCE_ID, CLUSTER_WORKER_GROUP
 *                                 optional: put into the commands a failure prints
 *
 * Exit 0 when ready; 1 with a message saying what was last seen and where to
 * look; 2 when the input itself is wrong.
 */
"use strict";

const { exitOnProblems, get, settingsReader, sleep } = require("./kube-api.cjs");

/** @typedef {{ kind: "ready", nodes: NodeSummary[] } | { kind: "waiting", reason: string, nodes?: NodeSummary[], unanswered?: boolean }} Observation */
/** @typedef {{ name: string, ready: boolean }} NodeSummary */

/**
 * @param {NodeJS.ProcessEnv} env
 */
function readSettings(env) {
  const { problems, required, seconds, apiServer } = settingsReader(env);
  const api = apiServer("CLUSTER");
  const expectedRaw = required("CLUSTER_EXPECTED_NODES");
  const expectedNodes = Number(expectedRaw);
  if (expectedRaw && (!Number.isInteger(expectedNodes) || expectedNodes < 1)) {
    problems.push(`CLUSTER_EXPECTED_NODES must be a whole number of at least 1, got ${JSON.stringify(expectedRaw)}`);
  }
  return {
    problems,
    api,
    expectedNodes,
    timeoutMs: seconds("CLUSTER_WAIT_TIMEOUT_SECONDS", undefined) * 1000,
    intervalMs: seconds("CLUSTER_WAIT_INTERVAL_SECONDS", 10) * 1000,
    requestTimeoutMs: seconds("CLUSTER_REQUEST_TIMEOUT_SECONDS", 10) * 1000,
    region: env.CLUSTER_AWS_REGION || "<region>",
    controlPlaneInstanceId: env.CLUSTER_CONTROL_PLANE_INSTANCE_ID || "<control-plane-instance-id>",
    workerGroup: env.CLUSTER_WORKER_GROUP || "<worker-group>",
  };
}

/** @typedef {ReturnType<typeof readSettings>} Settings */

/**
 * One GET /api/v1/nodes with the client certificate.
 * @param {Settings} s
 * @returns {Promise<Observation>}
 */
async function observe(s) {
  const answer = await get(s.api, "/api/v1/nodes", s.requestTimeoutMs);
  if (!answer.ok) return { kind: "waiting", reason: `API server not reachable: ${answer.reason}`, unanswered: true };
  return interpret(answer.status, answer.body, s.expectedNodes);
}

/**
 * What an answer means. Only 200 with enough nodes is ready.
 * @param {number} status
 * @param {string} body
 * @param {number} expected
 * @returns {Observation}
 */
function interpret(status, body, expected) {
  if (status === 401) {
    return { kind: "waiting", reason: "HTTP 401: the API server does not accept the admin client certificate (is it signed by the cluster CA?)" };
  }
  if (status === 403) {
    return { kind: "waiting", reason: "HTTP 403: the admin certificate is recognised but may not list nodes (cluster-admin binding not created yet, or wrong Organization)" };
  }
  if (status !== 200) return { kind: "waiting", reason: `HTTP ${status} from /api/v1/nodes` };
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: "waiting", reason: "HTTP 200 but the body is not JSON" };
  }
  const items = /** @type {{ items?: unknown }} */ (parsed).items;
  if (!Array.isArray(items)) return { kind: "waiting", reason: "HTTP 200 but the body is not a node list" };
  const nodes = items.map((item) => {
    const n = /** @type {{ metadata?: { name?: string }, status?: { conditions?: Array<{ type?: string, status?: string }> } }} */ (item);
    const ready = (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
    return { name: n.metadata?.name ?? "(unnamed)", ready };
  });
  if (nodes.length < expected) return { kind: "waiting", reason: `${nodes.length} of ${expected} nodes registered`, nodes };
  return { kind: "ready", nodes };
}

/** @param {NodeSummary[]} nodes */
function describeNodes(nodes) {
  return nodes.map((n) => `${n.name} (${n.ready ? "Ready" : "NotReady"})`).join(", ");
}

/**
 * @param {Settings} s
 * @param {(line: string) => void} log
 * @returns {Promise<boolean>}
 */
async function waitForCluster(s, log) {
  const started = Date.now();
  const deadline = started + s.timeoutMs;
  let last = "";
  let answered = false;
  for (let attempt = 1; ; attempt++) {
    const o = await observe(s);
    if (o.kind === "ready" || !o.unanswered) answered = true;
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (o.kind === "ready") {
      log(`cluster ready after ${elapsed}s: ${o.nodes.length} nodes registered: ${describeNodes(o.nodes)}`);
      log("nodes become Ready once the CNI runs (installed by the platform stack)");
      return true;
    }
    if (o.reason !== last || attempt % 6 === 0) log(`[${elapsed}s] waiting: ${o.reason}${o.nodes ? ` (${describeNodes(o.nodes)})` : ""}`);
    last = o.reason;
    if (Date.now() + s.intervalMs > deadline) break;
    await sleep(s.intervalMs);
  }
  log(failureReport(s, last, answered));
  return false;
}

/**
 * What a timed-out wait tells the user: what it last saw, which part most
 * likely failed, and the commands that show why.
 * @param {Settings} s
 * @param {string} last
 * @param {boolean} answered whether the API server ever answered
 */
function failureReport(s, last, answered) {
  const consoleLog = (/** @type {string} */ id) => `aws ec2 get-console-output --region ${s.region} --instance-id ${id} --latest --output text | grep k8s-bootstrap`;
  const lines = [`cluster not ready within ${s.timeoutMs / 1000}s; last seen: ${last}`];
  if (!answered) {
    lines.push(
      "The API server never answered: the control plane did not initialize (its bootstrap, kubeadm init, failed or never finished).",
      "Its bootstrap log, without a shell on the node (the first FATAL line, or the last line, says why):",
      `  ${consoleLog(s.controlPlaneInstanceId)}`,
      `The whole log: aws ssm start-session --region ${s.region} --target ${s.controlPlaneInstanceId}   (EC2 console: Connect > Session Manager)`,
      "then: sudo tail -n 100 /var/log/cloud-init-output.log",
      "A bootstrap runs once: after fixing the cause, bump cluster.nodeGeneration to replace the nodes.",
      "If that log ends well, the API server may be up but closed to this machine: its public address must be one of the admin CIDRs",
      "  (terraform -chdir=cdktf.out/stacks/network output admin_cidrs; README, Network and security).",
    );
  } else {
    lines.push(
      `Workers that have not joined by their deadline are terminated and replaced by the Auto Scaling group ${s.workerGroup} (its launch hook abandons them). What happened to each launch:`,
      `  aws autoscaling describe-scaling-activities --region ${s.region} --auto-scaling-group-name ${s.workerGroup} --max-items 10`,
      `A worker's bootstrap log: ${consoleLog("<instance-id>")}`,
      "Each node logs its bootstrap to /var/log/cloud-init-output.log. Open a shell on a node without SSH:",
      `  aws ssm start-session --region ${s.region} --target <instance-id>   (EC2 console: Connect > Session Manager)`,
      "then: sudo tail -n 100 /var/log/cloud-init-output.log",
    );
  }
  lines.push("The next deploy waits again (the gate is tainted).");
  return lines.join("\n");
}

async function main() {
  const s = readSettings(process.env);
  exitOnProblems("wait-for-cluster", s.problems);
  console.log(`waiting up to ${s.timeoutMs / 1000}s for ${s.api.url} to list ${s.expectedNodes} nodes`);
  const ok = await waitForCluster(s, (line) => console.log(line));
  process.exit(ok ? 0 : 1);
}

module.exports = { readSettings, interpret, waitForCluster, failureReport };

if (require.main === module) main();
