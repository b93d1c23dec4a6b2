/** IPv4 CIDR helpers over ipaddr.js. */
import * as ipaddr from "ipaddr.js";

export interface Ipv4Cidr {
  readonly address: ipaddr.IPv4;
  readonly bits: number;
}

/** Parses `a.b.c.d/n`; undefined unless it is a valid IPv4 CIDR with no host bits set. */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text)) return undefined;
  try {
    const [address, bits] = ipaddr.IPv4.parseCIDR(text);
    if (ipaddr.IPv4.networkAddressFromCIDR(text).toString() !== address.toString()) return undefined;
    return { address, bits };
  } catch {
    return undefined;
  }
}

export function isCanonicalCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i) return false;
  return i.bits >= o.bits && i.address.match(o.address, o.bits);
}

/** True when the two ranges share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/** The `hostNumber`-th address of a CIDR, as Terraform's cidrhost() computes it. */
export function cidrHost(cidr: string, hostNumber: number): string {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const base = c.address.toByteArray().reduce((n, octet) => n * 256 + octet, 0);
  const size = 2 ** (32 - c.bits);
  if (hostNumber < 0 || hostNumber >= size) throw new Error(`host number ${hostNumber} is outside ${cidr}`);
  const n = base + hostNumber;
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Number of addresses in the CIDR. */
export function cidrSize(cidr: string): number {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  return 2 ** (32 - c.bits);
}

/** How many distinct addresses the CIDRs cover together (overlaps counted once); invalid entries are skipped. */
export function cidrUnionSize(cidrs: readonly string[]): number {
  const ranges = cidrs
    .map(parseCidr)
    .filter((c): c is Ipv4Cidr => c !== undefined)
    .map((c) => {
      const start = c.address.toByteArray().reduce((n, octet) => n * 256 + octet, 0);
      return [start, start + 2 ** (32 - c.bits)] as const;
    })
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -1;
  for (const [s, e] of ranges) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}
