import type { IncomingMessage } from "node:http";

/** An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d; limits and logs want a.b.c.d. */
export const plainAddress = (addr: string | undefined): string => (addr ?? "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");

/** What the transport decided each request's client address is. */
const decided = new WeakMap<IncomingMessage, string>();

/**
 * The client's address: the peer's, unless the peer is a trusted proxy (a load
 * balancer in front), in which case the right-most address of X-Forwarded-For
 * that is not itself a trusted proxy. Only trusted peers are believed, so a
 * client cannot spoof its way around per-address limits.
 */
export function decideClientAddress(req: IncomingMessage, trusted: ReadonlySet<string>): string {
  let address = plainAddress(req.socket.remoteAddress);
  if (trusted.has(address)) {
    const header = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((h) => plainAddress(h.trim())).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      address = hops[i];
      if (!trusted.has(address)) break;
    }
  }
  decided.set(req, address);
  return address;
}

/** The address the transport decided for this request (the plain peer address for one it never saw). */
export function clientAddress(req: IncomingMessage): string {
  return decided.get(req) ?? plainAddress(req.socket.remoteAddress);
}
