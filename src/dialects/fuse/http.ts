import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { readBody } from "../../transport/http-body.js";

export const COOKIE = "fuse";

/** An Origin as browsers send it (`https://game.example:8443`), for comparing with the allowlist. */
const originKey = (origin: string) => origin.trim().toLowerCase().replace(/\/+$/, "");

const isSecure = (req: IncomingMessage) => (req.socket as TLSSocket).encrypted === true || req.headers["x-forwarded-proto"] === "https";

/**
 * What browsers may do with the session cookie, from `fuse.allowedOrigins`.
 * Every Origin is echoed back (the protocol says so), so any page may read
 * the answers to requests that carry no credentials; only listed origins get
 * `Access-Control-Allow-Credentials`, a cookie that rides cross-site requests
 * (`SameSite=None`), and the use of that cookie from another site.
 */
export class Origins {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowed: readonly string[]) {
    this.allowed = new Set(allowed.map(originKey));
  }

  allows(origin: string | undefined): boolean {
    return origin !== undefined && this.allowed.has(originKey(origin));
  }

  /** The request's Origin allowed back; credentials only for a listed origin. */
  cors(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (!origin) return {};
    const headers: Record<string, string> = { "Access-Control-Allow-Origin": origin, Vary: "Origin" };
    if (this.allows(origin)) headers["Access-Control-Allow-Credentials"] = "true";
    return headers;
  }

  /** Answers a CORS preflight. */
  preflight(req: IncomingMessage, res: ServerResponse): void {
    const headers: Record<string, string> = { ...this.cors(req), "Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Max-Age": "600" };
    const asked = req.headers["access-control-request-headers"];
    if (asked) headers["Access-Control-Allow-Headers"] = asked;
    res.writeHead(204, headers).end();
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

/** The body as text, or null when it is over `limit` bytes. */
export async function readText(req: IncomingMessage, limit: number): Promise<string | null> {
  return (await readBody(req, limit))?.toString("utf8") ?? null;
}

export function sendLine(res: ServerResponse, status: number, line: string, headers: Record<string, string>): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "Content-Length": String(Buffer.byteLength(line)), ...headers });
  res.end(line);
}
