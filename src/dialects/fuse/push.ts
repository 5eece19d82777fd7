import type { IncomingMessage, ServerResponse } from "node:http";
import { TokenBucket } from "../../core/rate-limit.js";
import { KeyedQueue } from "../../core/serial.js";
import type { Identity } from "../../core/types.js";
import type { HttpRoute } from "../types.js";
import type { Caller, Fuse } from "./context.js";
import { dispatch } from "./dispatch.js";
import { readBody, sendLine, type Origins } from "./http.js";
import type { HttpLinks, LinkEntry } from "./links.js";
import type { FuseSession } from "./session.js";

/** Callers without a session are limited per address; past this many addresses the oldest are forgotten. */
const MAX_ADDRESSES = 10_000;

/** One `/push` request as the dispatcher sees it. */
class PushCaller implements Caller {
  /** A Set-Cookie for the response, when `open` or `exit` changed the session. */
  cookie: string | null = null;

  constructor(
    private readonly links: HttpLinks,
    private readonly origins: Origins,
    private readonly req: IncomingMessage,
    readonly name: string,
    readonly addr: string,
    private entry: LinkEntry | null,
  ) {}

  session(): FuseSession | null {
    return this.entry?.session ?? null;
  }

  async login(user: Identity): Promise<() => void> {
    const old = this.links.get(this.origins.token(this.req));
    // The same user again is a takeover the lobby carries out; another user logs the cookie's first one out.
    if (old && old.session.user.id !== user.id) {
      this.links.drop(old.link);
      await old.session.serial(() => old.session.end());
    }
    const { token, finish } = await this.links.open(user, this.addr);
    this.entry = this.links.get(token);
    this.cookie = this.origins.cookie(this.req, token);
    return finish;
  }

  loggedOut(): void {
    if (this.entry) this.links.drop(this.entry.link);
    this.entry = null;
    this.cookie = this.origins.cookie(this.req, null);
  }
}

/** `GET|POST /push?name=…&data=<line>`: the reply is the response body. POST may carry the line (or a form) as its body. */
export function pushRoute(f: Fuse, links: HttpLinks, addrOf: (req: IncomingMessage) => string): HttpRoute {
  const limits = f.ctx.config.limits;
  const origins = f.origins;
  /** Replies per session (or per address before login) leave in the order their lines came, refusals included. */
  const turns = new KeyedQueue();
  const buckets = new Map<string, TokenBucket>();
  const allowed = (key: string) => {
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= MAX_ADDRESSES) buckets.delete(buckets.keys().next().value!);
      buckets.set(key, (bucket = new TokenBucket(limits.messagesPerSecond, limits.burst)));
    }
    return bucket.take();
  };

  async function lineOf(req: IncomingMessage, url: URL): Promise<{ name: string; data: string } | null> {
    let name = url.searchParams.get("name");
    let data = url.searchParams.get("data");
    if (req.method === "POST") {
      const body = await readBody(req, f.ctx.config.fuse.maxLineBytes * 3 + 1024);
      if (body === null) return null;
      // A form with a `data` field carries the line there; any other body (curl calls raw text a form too) is the line.
      const form = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") ? new URLSearchParams(body) : null;
      if (form?.has("data")) {
        name ??= form.get("name");
        data ??= form.get("data");
      } else data ??= body.replace(/\r?\n$/, "");
    }
    return { name: name ?? "", data: data ?? "" };
  }

  return {
    kind: "http",
    match: (path) => path === "/push" || path === "/push/",
    async handle(req: IncomingMessage, res: ServerResponse, url: URL) {
      if (req.method === "OPTIONS") return origins.preflight(req, res);
      const headers = origins.cors(req);
      if (req.method !== "GET" && req.method !== "POST") return sendLine(res, 405, "main|fail|method not allowed", { ...headers, Allow: "GET, POST, OPTIONS" });
      f.ctx.metrics.framesIn.inc({ dialect: "fuse" });
      const line = await lineOf(req, url);
      if (!line) return sendLine(res, 413, "main|fail|line too long", headers);
      const addr = addrOf(req);
      const entry = links.find(origins.token(req), line.name);
      entry?.link.touch();
      // A session has its own allowance, so users behind one address do not share one.
      const key = entry ? `s:${entry.link.token}` : `a:${addr}`;
      if (!allowed(key)) {
        f.ctx.metrics.protocolErrors.inc({ dialect: "fuse", code: "rate limited" });
        return turns.run(key, async () => sendLine(res, 429, "main|fail|rate limited", headers));
      }
      const caller = new PushCaller(links, origins, req, line.name, addr, entry);
      // The command runs now; its reply waits for the replies to earlier lines of the same session or address.
      const replying = dispatch(f, caller, line.data);
      await turns.run(key, async () => {
        const reply = await replying;
        if (caller.cookie) headers["Set-Cookie"] = caller.cookie;
        sendLine(res, 200, reply.line, headers);
        reply.after?.();
      });
    },
  };
}
