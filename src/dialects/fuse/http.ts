import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { Cors } from "../../transport/cors.js";

export const COOKIE = "fuse";

const isSecure = (req: IncomingMessage) => (req.socket as TLSSocket).encrypted === true || req.headers["x-forwarded-proto"] === "https";

/**
 * What browsers may do with the session cookie, from `fuse.allowedOrigins`.
 * Every Origin is echoed back (the protocol says so; the transport layer's
 * `Cors`), so any page may read the answers to requests that carry no
 * credentials; only listed origins get `Access-Control-Allow-Credentials`, a
 * cookie that rides cross-site requests (`SameSite=None`), and the use of
 * that cookie from another site.
 */
export class Origins {
  private readonly cors: Cors;

  constructor(allowed: readonly string[]) {
    this.cors = new Cors(() => allowed, "GET, POST, OPTIONS");
  }

  allows(origin: string | undefined): boolean {
    return this.cors.allows(origin);
  }

  /** The request's Origin allowed back; credentials only for a listed origin. */
  headers(req: IncomingMessage): Record<string, string> {
    return this.cors.headers(req);
  }

  preflight(req: IncomingMessage, res: ServerResponse): void {
    this.cors.preflight(req, res);
  }

  /**
   * The session token the request carries, or null. A browser request that
   * another site made (`Sec-Fetch-Site: cross-site`: a link, a form, an
   * image, a script's fetch) uses no session unless that site is listed: a
   * page elsewhere cannot act as the logged-in user, even blindly.
   */
  token(req: IncomingMessage): string | null {
    if (req.headers["sec-fetch-site"] === "cross-site" && !this.allows(req.headers.origin)) return null;
    return cookieOf(req);
  }

  /**
   * `SameSite=Lax` (the cookie stays on its own site) unless the request comes
   * over https from a listed origin: then `SameSite=None; Secure`, so that
   * page's cross-site pushes and pulls carry it. Over https it is always Secure.
   */
  cookie(req: IncomingMessage, token: string | null): string {
    const secure = isSecure(req);
    const value = token === null ? `${COOKIE}=; Max-Age=0` : `${COOKIE}=${encodeURIComponent(token)}`;
    const site = secure && this.allows(req.headers.origin) ? "SameSite=None" : "SameSite=Lax";
    return `${value}; Path=/; HttpOnly; ${site}${secure ? "; Secure" : ""}`;
  }
}

/** The `fuse` cookie; one that is not valid percent-encoding is no session. */
function cookieOf(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

export function sendLine(res: ServerResponse, status: number, line: string, headers: Record<string, string>): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "Content-Length": String(Buffer.byteLength(line)), ...headers });
  res.end(line);
}
