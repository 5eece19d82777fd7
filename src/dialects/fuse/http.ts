import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";

export const COOKIE = "fuse";

/** The request's Origin allowed back, with credentials: the cookie is the session. */
export function cors(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin) return {};
  return { "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", Vary: "Origin" };
}

/** Answers a CORS preflight. */
export function preflight(req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = { ...cors(req), "Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Max-Age": "600" };
  const asked = req.headers["access-control-request-headers"];
  if (asked) headers["Access-Control-Allow-Headers"] = asked;
  res.writeHead(204, headers).end();
}

export function cookieOf(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/**
 * Over TLS the cookie may ride cross-site requests (SameSite=None needs
 * Secure); over plain HTTP browsers would drop such a cookie, so it is Lax.
 */
export function sessionCookie(req: IncomingMessage, token: string | null): string {
  const secure = (req.socket as TLSSocket).encrypted === true || req.headers["x-forwarded-proto"] === "https";
  const value = token === null ? `${COOKIE}=; Max-Age=0` : `${COOKIE}=${encodeURIComponent(token)}`;
  return `${value}; Path=/; HttpOnly; ${secure ? "SameSite=None; Secure" : "SameSite=Lax"}`;
}

/** The body as text, or null when it is over `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function sendLine(res: ServerResponse, status: number, line: string, headers: Record<string, string>): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "Content-Length": String(Buffer.byteLength(line)), ...headers });
  res.end(line);
}
