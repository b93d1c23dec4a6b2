#!/usr/bin/env node
// @ts-check
/**
 * Runs while `cdktf destroy` tears the platform down, after the monitoring
 * namespace is gone and before the EBS CSI driver is uninstalled: waits until
 * the driver has deleted every persistent volume of the platform's
 * StorageClass whose claim is gone. Deleting a claim only starts the volume's
 * deletion; without this wait the driver could be removed first and the EBS
 * volumes would stay in the account, billed.
 *
 * A volume whose claim still exists is not waited for (it is in use, e.g.
 * when this step runs because Terraform replaces it on a deploy); it is
 * listed as one that a destroy will leave behind.
 *
 * Plain Node, built-in modules only: it runs from Terraform's destroy-time
 * local-exec provisioner, in the stack's synthesized folder.
 *
 * Input, from the environment (never the command line):
 *   VOLUMES_API_SERVER_URL        https://<address>:<port>
 *   VOLUMES_CA_CERT_PEM           cluster CA certificate
 *   VOLUMES_CLIENT_CERT_PEM       admin client certificate
 *   VOLUMES_CLIENT_KEY_PEM        admin client key
 *   VOLUMES_STORAGE_CLASS         the StorageClass whose volumes to wait for
 *   VOLUMES_TIMEOUT_SECONDS       overall bound
 *   VOLUMES_UNREACHABLE_SECONDS   how long an unreachable API server is retried (default 60)
 *   VOLUMES_INTERVAL_SECONDS      pause between checks (default 10)
 *   VOLUMES_SWEEP_HINT            what to tell the user to run when volumes may be left
 *   VOLUMES_ON_REJECTED_CREDENTIALS   `continue` to go on, unchecked, when the API
 *                                 server rejects the credentials (set by hand in the
 *                                 shell that runs cdktf; Terraform passes its
 *                                 environment on to the provisioner)
 *
 * What the API server's answers mean:
 *   - no connection at all (refused, timed out, no route, DNS, TLS handshake):
 *     the cluster is gone or going; after VOLUMES_UNREACHABLE_SECONDS without
 *     an answer the wait reports it and goes on (the driver runs in that
 *     cluster, so it cannot delete anything either);
 *   - HTTP 401/403: the credentials are rejected (typically an expired admin
 *     certificate); the wait stops at once, exit 1, saying how to recover;
 *   - any other status that is not 200 (429, 5xx, ...): a live API server
 *     having a bad moment; retried until VOLUMES_TIMEOUT_SECONDS, then exit 1.
 *
 * Exit 0 when nothing is left to delete (or the API server cannot be reached
 * at all, which is reported); 1 when volumes are, or may be, still there at
 * the timeout, or the credentials are rejected; 2 when the input is wrong.
 */
"use strict";

const { exitOnProblems, get, settingsReader, sleep } = require("./kube-api.cjs");

/**
 * @typedef {{ metadata: { name: string, uid?: string, namespace?: string, deletionTimestamp?: string },
 *   spec?: { storageClassName?: string, claimRef?: { namespace?: string, name?: string, uid?: string }, csi?: { volumeHandle?: string } },
 *   status?: { phase?: string } }} KubeObject
 * @typedef {{ name: string, volumeId: string, phase: string, claim: string }} VolumeSummary
 * @typedef {{ deleting: VolumeSummary[], claimed: VolumeSummary[] }} Classified
 */

/** @param {NodeJS.ProcessEnv} env */
function readSettings(env) {
  const { problems, required, seconds, apiServer } = settingsReader(env);
  return {
    problems,
    api: apiServer("VOLUMES"),
    storageClass: required("VOLUMES_STORAGE_CLASS"),
    timeoutSeconds: seconds("VOLUMES_TIMEOUT_SECONDS", undefined),
    unreachableSeconds: seconds("VOLUMES_UNREACHABLE_SECONDS", 60),
    intervalSeconds: seconds("VOLUMES_INTERVAL_SECONDS", 10),
    sweepHint: env.VOLUMES_SWEEP_HINT ?? "",
    continueOnRejectedCredentials: env.VOLUMES_ON_REJECTED_CREDENTIALS === "continue",
  };
}

/**
 * Splits the StorageClass's volumes into those the driver still has to
 * delete (no live claim: the claim is gone or terminating) and those a live
 * claim still holds.
 * @param {KubeObject[]} volumes
 * @param {KubeObject[]} claims
 * @param {string} storageClass
 * @returns {Classified}
 */
function classify(volumes, claims, storageClass) {
  const live = new Set(
    claims.filter((c) => !c.metadata.deletionTimestamp).map((c) => `${c.metadata.namespace}/${c.metadata.name}/${c.metadata.uid ?? ""}`),
  );
  /** @type {Classified} */
  const out = { deleting: [], claimed: [] };
  for (const v of volumes) {
    if (v.spec?.storageClassName !== storageClass) continue;
    const ref = v.spec?.claimRef;
    const claim = ref ? `${ref.namespace}/${ref.name}` : "";
    const summary = { name: v.metadata.name, volumeId: v.spec?.csi?.volumeHandle ?? "?", phase: v.status?.phase ?? "?", claim };
    const held = ref !== undefined && !v.metadata.deletionTimestamp && live.has(`${ref.namespace}/${ref.name}/${ref.uid ?? ""}`);
    (held ? out.claimed : out.deleting).push(summary);
  }
  return out;
}

/** @param {VolumeSummary} v */
function describe(v) {
  return `${v.name} (${v.volumeId}, ${v.phase}${v.claim ? `, claim ${v.claim}` : ""})`;
}

/**
 * Why a listing failed: `unreachable` (no HTTP answer: connection or TLS
 * handshake failed, or timed out), `rejected` (HTTP 401/403: credentials
 * refused) or `answered` (any other HTTP answer that is not a usable 200).
 * @typedef {"unreachable" | "rejected" | "answered"} Failure
 * @typedef {{ ok: true, volumes: KubeObject[], claims: KubeObject[] } | { ok: false, failure: Failure, reason: string }} Listing
 * @typedef {{ list: () => Promise<Listing>, sleep: (ms: number) => Promise<void>, now: () => number, log: (line: string) => void }} Io
 */

/**
 * The wait itself, with its I/O passed in.
 * @param {ReturnType<typeof readSettings>} s
 * @param {Io} io
 * @returns {Promise<number>} the exit code
 */
async function run(s, io) {
  const start = io.now();
  let lastReachable = start;
  let lastLine = "";
  /** Volumes of the last successful listing still to be deleted; null before one. @type {VolumeSummary[] | null} */
  let pending = null;
  for (;;) {
    const listing = await io.list();
    const elapsed = (io.now() - start) / 1000;
    if (!listing.ok && listing.failure === "rejected") {
      if (s.continueOnRejectedCredentials) {
        io.log(
          `the API server rejected the admin credentials (${listing.reason}); going on without checking the volumes of ` +
            `StorageClass ${s.storageClass}, as VOLUMES_ON_REJECTED_CREDENTIALS=continue asks. ${s.sweepHint}`,
        );
        return 0;
      }
      io.log(
        `the API server rejected the admin credentials (${listing.reason}), so the volumes of StorageClass ${s.storageClass} ` +
          "cannot be checked; the destroy stops here, with the EBS CSI driver still installed. The admin client certificate " +
          "has probably expired (it lasts a year; a deploy of the cluster stack in its last 30 days renews it). This step holds " +
          "the copy handed to it at the last platform deploy: renew it and hand it over with `cdktf deploy '*'`, then destroy " +
          "again. When that deploy stops here too (the old copy has already expired), run it with " +
          "VOLUMES_ON_REJECTED_CREDENTIALS=continue exported: on a live cluster every volume is still claimed and there is " +
          "nothing to wait for. The same export lets a destroy go on unchecked; then look for volumes left behind. " +
          s.sweepHint,
      );
      return 1;
    }
    if (!listing.ok && listing.failure === "unreachable") {
      if ((io.now() - lastReachable) / 1000 >= s.unreachableSeconds) {
        io.log(
          `cannot reach the API server to check volumes of StorageClass ${s.storageClass} (${listing.reason}); ` +
            `going on: without it the driver cannot delete anything either. ${s.sweepHint}`,
        );
        return 0;
      }
      io.log(`API server not answering yet: ${listing.reason}`);
    } else if (!listing.ok) {
      // An answer: the API server (and so the driver's cluster) is alive.
      lastReachable = io.now();
      const line = `API server answered with an error, retrying: ${listing.reason}`;
      if (line !== lastLine) io.log(line);
      lastLine = line;
      if (elapsed >= s.timeoutSeconds) {
        const known =
          pending === null
            ? "the volumes were never listed"
            : pending.length === 0
              ? "no volume was waiting at the last listing"
              : `${pending.length} volume(s) not deleted at the last listing: ${pending.map(describe).join("; ")}`;
        io.log(
          `gave up after ${Math.round(elapsed)} s of errors from the API server (${listing.reason}); ${known}. ` +
            "The destroy stops here, with the driver still installed: run the destroy again once the API server answers " +
            `(\`kubectl get pv\`). ${s.sweepHint}`,
        );
        return 1;
      }
    } else {
      lastReachable = io.now();
      const { deleting, claimed } = classify(listing.volumes, listing.claims, s.storageClass);
      pending = deleting;
      if (deleting.length === 0) {
        if (claimed.length > 0) {
          io.log(
            `${claimed.length} volume(s) of StorageClass ${s.storageClass} are still claimed and will not be deleted by this step: ` +
              `${claimed.map(describe).join("; ")}. If the cluster is being destroyed they will be left behind. ${s.sweepHint}`,
          );
        } else {
          io.log(`no volume of StorageClass ${s.storageClass} left`);
        }
        return 0;
      }
      const line = `waiting for the EBS CSI driver to delete ${deleting.length} volume(s): ${deleting.map(describe).join("; ")}`;
      if (line !== lastLine) io.log(line);
      lastLine = line;
      if (elapsed >= s.timeoutSeconds) {
        io.log(
          `gave up after ${Math.round(elapsed)} s with ${deleting.length} volume(s) not deleted: ${deleting.map(describe).join("; ")}. ` +
            "The destroy stops here, with the driver still installed: check `kubectl get pv` and the driver's controller logs " +
            `(kubectl -n kube-system logs deploy/ebs-csi-controller -c csi-provisioner), then run the destroy again. ${s.sweepHint}`,
        );
        return 1;
      }
    }
    await io.sleep(s.intervalSeconds * 1000);
  }
}

/** Bound of one request to the API server. */
const REQUEST_TIMEOUT_MS = 10000;

/**
 * What an answer to GET `path` means for the wait (see the header).
 * @param {string} path
 * @param {import("./kube-api.cjs").Answer} answer
 * @returns {{ ok: true, items: KubeObject[] } | { ok: false, failure: Failure, reason: string }}
 */
function interpretAnswer(path, answer) {
  // `get` fails only without an HTTP answer: refused, timed out, no route,
  // DNS or the TLS handshake.
  if (!answer.ok) return { ok: false, failure: "unreachable", reason: `GET ${path}: ${answer.reason}` };
  if (answer.status === 401 || answer.status === 403) {
    return { ok: false, failure: "rejected", reason: `GET ${path}: HTTP ${answer.status}` };
  }
  if (answer.status !== 200) return { ok: false, failure: "answered", reason: `GET ${path}: HTTP ${answer.status}` };
  try {
    return { ok: true, items: JSON.parse(answer.body).items ?? [] };
  } catch (e) {
    return { ok: false, failure: "answered", reason: `GET ${path}: unreadable answer (${String(e)})` };
  }
}

/**
 * GETs a list from the API server with the admin client certificate.
 * @param {ReturnType<typeof readSettings>} s
 * @param {string} path
 */
async function getList(s, path) {
  return interpretAnswer(path, await get(s.api, path, REQUEST_TIMEOUT_MS));
}

async function main() {
  const s = readSettings(process.env);
  exitOnProblems("wait-for-volumes", s.problems);
  const code = await run(s, {
    list: async () => {
      const volumes = await getList(s, "/api/v1/persistentvolumes");
      if (!volumes.ok) return volumes;
      const claims = await getList(s, "/api/v1/persistentvolumeclaims");
      if (!claims.ok) return claims;
      return { ok: true, volumes: volumes.items, claims: claims.items };
    },
    sleep,
    now: () => Date.now(),
    log: (line) => console.log(`wait-for-volumes: ${line}`),
  });
  process.exit(code);
}

module.exports = { readSettings, classify, run, interpretAnswer };

if (require.main === module) main();
