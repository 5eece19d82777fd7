import type { IncomingMessage, ServerResponse } from "node:http";

/** An Origin as browsers send it (`https://game.example:8443`), for comparing with an allowlist. */
const originKey = (origin: string) => origin.trim().toLowerCase().replace(/\/+$/, "");

/**
 * CORS for the HTTP transports (fuse's `/push` and `/pull`, every endpoint's
 * SSE and long-poll URLs). Every Origin is allowed back, so a page anywhere
 * may read the answers to requests that carry no credentials — it could
 * send the same requests without a browser. Only listed origins get
 * `Access-Control-Allow-Credentials`: a cookie that rides a cross-site
 * request would otherwise let any page read what the user's session says.
 */
export class Cors {
  private list: readonly string[] | null = null;
  private allowed: ReadonlySet<string> = new Set();

  constructor(
    /** The listed origins, read at every use (live settings apply). */
    private readonly origins: () => readonly string[],
    /** What a preflight allows, e.g. "GET, POST, OPTIONS". */
    private readonly methods: string,
  ) {}

  allows(origin: string | undefined): boolean {
    if (origin === undefined) return false;
    const list = this.origins();
    if (list !== this.list) {
      this.list = list;
      this.allowed = new Set(list.map(originKey));
    }
    return this.allowed.has(originKey(origin));
  }

  /** The request's Origin allowed back; credentials only for a listed origin. */
  headers(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (!origin) return {};
    const headers: Record<string, string> = { "Access-Control-Allow-Origin": origin, Vary: "Origin" };
    if (this.allows(origin)) headers["Access-Control-Allow-Credentials"] = "true";
    return headers;
  }

  /** Answers a preflight (`OPTIONS`): 204 with the methods and whatever headers were asked for. */
  preflight(req: IncomingMessage, res: ServerResponse): void {
    const headers: Record<string, string> = { ...this.headers(req), "Access-Control-Allow-Methods": this.methods, "Access-Control-Max-Age": "600" };
    const asked = req.headers["access-control-request-headers"];
    if (asked) headers["Access-Control-Allow-Headers"] = asked;
    res.writeHead(204, headers).end();
  }
}
