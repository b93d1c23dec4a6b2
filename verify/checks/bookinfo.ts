/** Bookinfo from outside: productpage on its NodePort renders the reviews. */
import { request } from "../http";
import { need } from "../runner";
import type { Check, Outcome } from "../types";

/** Shown only when productpage got reviews back (both the older and newer sample templates). */
export const REVIEWS_RENDERED = "Book Reviews";
/** What productpage shows instead when reviews failed (older and newer templates). */
export const REVIEWS_FAILED = [/product reviews are currently unavailable/i, /Error fetching product reviews/i];

export function decideProductpage(status: number, body: string): Outcome {
  if (status !== 200) return { ok: false, evidence: `HTTP ${status}` };
  const failed = REVIEWS_FAILED.find((r) => r.test(body));
  if (failed) return { ok: false, evidence: `HTTP 200 but the page says reviews failed ("${body.match(failed)?.[0]}")`, remedy: "productpage cannot reach reviews: check the reviews pods, the HTTPRoute backends and the authorization policy" };
  if (!body.includes(REVIEWS_RENDERED)) return { ok: false, evidence: `HTTP 200 but no "${REVIEWS_RENDERED}" section in ${body.length} bytes (not productpage?)` };
  const servedBy = body.match(/Reviews served by:\s*(?:<[^>]*>\s*)*([a-z0-9][a-z0-9-]*)/)?.[1];
  return { ok: true, evidence: `HTTP 200, ${body.length} bytes, reviews rendered${servedBy ? ` (served by ${servedBy})` : ""}` };
}

export const productpageCheck: Check = {
  id: "productpage",
  title: "productpage renders reviews",
  needs: [],
  remedy: "check the productpage Service is NodePort on the configured port, the security group admits your address, and productpage's pods are Ready",
  async run(ctx, signal) {
    const url = new URL("/productpage", need(ctx.bookinfoUrl)).toString();
    const res = await request(url, { signal, headers: { accept: "text/html" } });
    const d = decideProductpage(res.status, res.body);
    return { ...d, evidence: `${url}: ${d.evidence}` };
  },
};
