import type { IncomingMessage, ServerResponse } from "node:http";
import { FleetAllowance } from "../../connection/fleet-allowance.js";
import { ReplyTurns } from "../../connection/reply-turns.js";
import type { JsonObject } from "../../core/json.js";
import type { Identity } from "../../core/types.js";
import { readBody } from "../../transport/http-body.js";
import type { HttpRoute } from "../types.js";
import type { Caller, Fuse } from "./context.js";
import { dispatch } from "./dispatch.js";
import type { FleetWire, Reply as Answer } from "./fleet.js";
import { sendLine } from "./http.js";
import { sidOf, type Home } from "./link-records.js";
import type { HttpLinks, LinkEntry } from "./links.js";
import type { FuseSession } from "./session.js";

/** One `/push` request as the dispatcher sees it, on the node that runs it (the session's home). */
class PushCaller implements Caller {
  /** What `open` or `exit` did to the cookie: the new session's token, null (cleared), or undefined (nothing). */
  cookie: string | null | undefined = undefined;

  constructor(
    private readonly links: HttpLinks,
    readonly name: string,
    readonly addr: string,
    private entry: LinkEntry | null,
    /** The request's cookie session (its sid), which an `open` of another user logs out. */
    private readonly cookieSid: string | null,
  ) {}

  session(): FuseSession | null {
    return this.entry?.session ?? null;
  }

  async login(user: Identity): Promise<() => void> {
    const named = this.entry;
    // Legacy mode: the name is the session. Logging in again as the user it already is (the original clients
    // register, which logs in, then `open`) keeps that session, and with it the pull the client already holds.
    if (this.cookieSid === null && this.links.legacy && named && !named.session.ended && named.session.user.id === user.id) {
      this.cookie = named.link.token;
      return () => undefined;
    }
    const old = this.cookieSid === null ? null : this.links.session(this.cookieSid);
    // The same user again is a takeover the lobby carries out; another user logs the cookie's first one out.
    if (old && old.session.user.id !== user.id) {
      this.links.drop(old.link);
      await old.session.serial(() => old.session.end());
    }
    const { token, finish } = await this.links.open(user, this.addr);
    this.entry = this.links.get(token);
    this.cookie = token;
    return finish;
  }

  loggedOut(): void {
    if (this.entry) this.links.drop(this.entry.link);
    this.entry = null;
    this.cookie = null;
  }
}

/** One push as it arrived: who, from where, the line, and the sid of the cookie it carried. */
interface Request {
  name: string;
  addr: string;
  data: string;
  cookieSid: string | null;
}

/** Writes the HTTP answer: a status, the line, and what became of the cookie (undefined: nothing). */
type Send = (status: number, line: string, cookie: string | null | undefined) => void;

const text = (value: unknown) => (typeof value === "string" ? value : "");

/**
 * `GET|POST /push?name=…&data=<line>`: the reply is the response body. POST
 * may carry the line (or a form) as its body. Each push is counted by the
 * fleet and answered in its session's order (or its address's, before
 * login) by the connection layer's `ReplyTurns`. A push for a session that
 * lives on another node is run there (`forwarded`) and answered here.
 */
export class Pushes {
  private readonly turns: ReplyTurns;

  constructor(
    private readonly f: Fuse,
    private readonly links: HttpLinks,
    private readonly wire: FleetWire,
  ) {
    this.turns = new ReplyTurns(new FleetAllowance(f.ctx.core.broker.counters, f.ctx.config, "fuse-push", f.ctx.log));
  }

  route(addrOf: (req: IncomingMessage) => string): HttpRoute {
    const origins = this.f.origins;
    return {
      kind: "http",
      match: (path) => path === "/push" || path === "/push/",
      handle: async (req: IncomingMessage, res: ServerResponse, url: URL) => {
        if (req.method === "OPTIONS") return origins.preflight(req, res);
        const headers = origins.headers(req);
        if (req.method !== "GET" && req.method !== "POST") return sendLine(res, 405, "main|fail|method not allowed", { ...headers, Allow: "GET, POST, OPTIONS" });
        this.f.ctx.metrics.tally("fuse").framesIn++;
        const line = await this.lineOf(req, url);
        if (!line) return sendLine(res, 413, "main|fail|line too long", headers);
        const token = origins.token(req);
        const request: Request = { name: line.name, addr: addrOf(req), data: line.data, cookieSid: token === null ? null : sidOf(token) };
        const send: Send = (status, reply, cookie) => {
          if (cookie !== undefined) headers["Set-Cookie"] = origins.cookie(req, cookie);
          sendLine(res, status, reply, headers);
        };
        const entry = this.links.find(token, line.name);
        if (entry || !this.links.mayBeElsewhere(token, line.name)) return this.here(entry, request, send);
        // Not here: the cookie (or, in legacy mode, the name) may be a session of another node.
        const route = request.cookieSid !== null ? `t:${request.cookieSid}` : `n:${line.name.toLowerCase()}`;
        return this.turns.routed(
          route,
          () => this.links.locate(token, line.name),
          (home) => (home ? this.there(home, request, send) : this.here(this.links.find(token, line.name), request, send)),
        );
      },
    };
  }

  /** A push another node took for a session of this node: run here, in the session's turn, and answered to that node. */
  async forwarded(data: JsonObject, answer: Answer): Promise<void> {
    const sid = text(data.sid);
    const entry = this.links.session(sid);
    if (!entry) return answer({ unknown: true });
    entry.link.touch();
    const caller = new PushCaller(this.links, text(data.name), text(data.addr), entry, data.via === "cookie" ? sid : null);
    // Counted where it arrived; here it only takes its turn.
    await this.turns.follow(`s:${sid}`, {
      work: () => dispatch(this.f, caller, text(data.line)),
      answer: (reply) => {
        answer(caller.cookie === undefined ? { line: reply.line } : { line: reply.line, cookie: caller.cookie });
        reply.after?.();
      },
    });
  }

  /** Runs the line on this node, with this node's session or none. */
  private here(entry: LinkEntry | null, rq: Request, send: Send): Promise<void> {
    entry?.link.touch();
    // A session has its own allowance, so users behind one address do not share one.
    const key = entry ? `s:${entry.link.sid}` : `a:${rq.addr}`;
    const caller = new PushCaller(this.links, rq.name, rq.addr, entry, rq.cookieSid);
    return this.turns.run(key, {
      work: () => dispatch(this.f, caller, rq.data),
      answer: (reply) => {
        send(200, reply.line, caller.cookie);
        reply.after?.();
      },
      refused: () => this.refuse(send),
    });
  }

  /** Runs the line on the session's home node and answers with what it says. */
  private there(home: Home, rq: Request, send: Send): Promise<void> {
    const asked = { sid: home.sid, via: home.via, name: rq.name, addr: rq.addr, line: rq.data };
    return this.turns.run(`s:${home.sid}`, {
      // With a receipt: a command that waits long for its turn on the home is not taken for a dead home.
      work: () => this.wire.ask(home.node, "push", asked, true),
      answer: (answer) => this.relay(home, rq, send, answer),
      refused: () => this.refuse(send),
    });
  }

  /** The home's answer to a push, or (null) its silence. */
  private async relay(home: Home, rq: Request, send: Send, answer: JsonObject | null): Promise<void> {
    if (answer === null || answer.unknown === true) {
      // The home is gone (no answer), or the session is: the record is stale, and the line is answered as with an unknown cookie.
      await this.links.records.forget(home).catch((err: unknown) => this.f.ctx.log.warn({ err, dialect: "fuse" }, "fuse session record not removed"));
      const caller = new PushCaller(this.links, rq.name, rq.addr, null, null);
      const reply = await dispatch(this.f, caller, rq.data);
      send(200, reply.line, caller.cookie);
      reply.after?.();
      return;
    }
    if (typeof answer.line !== "string") return send(200, "main|fail|internal error", undefined);
    send(200, answer.line, answer.cookie === undefined ? undefined : typeof answer.cookie === "string" ? answer.cookie : null);
  }

  private refuse(send: Send): void {
    this.f.ctx.metrics.protocolErrors.inc({ dialect: "fuse", code: "rate limited" });
    send(429, "main|fail|rate limited", undefined);
  }

  private async lineOf(req: IncomingMessage, url: URL): Promise<{ name: string; data: string } | null> {
    let name = url.searchParams.get("name");
    let data = url.searchParams.get("data");
    if (req.method === "POST") {
      // A form's encoding may triple a line; past that the body is not read.
      const body = (await readBody(req, this.f.ctx.config.fuse.maxLineBytes * 3 + 1024))?.toString("utf8");
      if (body === undefined) return null;
      // A form with a `data` field carries the line there; any other body (curl calls raw text a form too) is the line.
      const form = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") ? new URLSearchParams(body) : null;
      if (form?.has("data")) {
        name ??= form.get("name");
        data ??= form.get("data");
      } else data ??= body.replace(/\r?\n$/, "");
    }
    return { name: name ?? "", data: data ?? "" };
  }
}
