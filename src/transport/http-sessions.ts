import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Cors } from "./cors.js";
import { readBody } from "./http-body.js";
import type { Ending, HttpTimings, HttpTransport, HttpTransportLimits } from "./http-transport.js";
import { POLL_GONE_MS, POLL_LINGER_MS, POLL_WAIT_MS, PollTransport, type PollResult, type PollWaiter } from "./poll-transport.js";
import { SSE_KEEPALIVE_MS, SseTransport } from "./sse-transport.js";
import type { Transport } from "./transport.js";

/** Separates the frames of one POST body (and of one poll answer): JSON text never holds it raw (Engine.IO uses it the same way). */
export const RECORD_SEPARATOR = 0x1e;

/** What became of a request for a session: done, no such session, or the session ended like this. */
export type Outcome = "ok" | "unknown" | Ending;

/**
 * Reaches sessions that live on other nodes (the fleet's machinery, from the
 * layer above; the transport only knows node ids). `null`: the node did not
 * answer, so the session is as good as gone.
 */
export interface SessionForwarder {
  deliver(node: string, sid: string, frames: string[]): Promise<Outcome | null>;
  /** Holds a poll on the home node; `abandon` is called with a function that tells the home the client went away. */
  poll(node: string, sid: string, abandon: (tellHome: () => void) => void): Promise<PollResult | "unknown" | null>;
  hangUp(node: string, sid: string): Promise<Outcome | null>;
}

export interface HttpSessionsOptions extends Omit<HttpTransportLimits, "timings"> {
  /** This node: minted into every session id, so any node can tell where a session lives. */
  readonly nodeId: string;
  /** Largest POST body (every frame of it together). */
  readonly maxPayload: number;
  /** Counts and logs a new transport; the returned function is called with its close code when it ends. */
  track(transport: Transport, owner: string): (code: number) => void;
}

/** `transports.*` of the configuration: the transports' times, and the origins that may use them with credentials. */
export interface HttpSessionSettings extends HttpTimings {
  readonly allowedOrigins: readonly string[];
}

/** Until the layer above says otherwise: each transport's built-in times, and no origin listed. */
const BUILT_IN: HttpSessionSettings = { pollWaitMs: POLL_WAIT_MS, pollGoneMs: POLL_GONE_MS, pollLingerMs: POLL_LINGER_MS, sseKeepAliveMs: SSE_KEEPALIVE_MS, allowedOrigins: [] };

type Headers = Record<string, string>;

const nodeTag = (nodeId: string) => Buffer.from(nodeId, "utf8").toString("base64url");

/** The node an id names, or null for one that is not ours to read. */
export function nodeOfSid(sid: string): string | null {
  const dot = sid.indexOf(".");
  if (dot <= 0 || sid.length > 512) return null;
  const node = Buffer.from(sid.slice(0, dot), "base64url").toString("utf8");
  return nodeTag(node) === sid.slice(0, dot) ? node : null;
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Headers = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", "Content-Length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

const UNKNOWN = { code: 404, reason: "unknown session: open a new one" };
const MISDIRECTED = { code: 421, reason: "this session lives on another node, which this node cannot reach: open a new session" };

/** Splits a POST body on the record separator. */
function framesOf(body: Buffer): Buffer[] {
  if (body.length === 0) return [];
  const frames: Buffer[] = [];
  let start = 0;
  for (let at = body.indexOf(RECORD_SEPARATOR); at !== -1; at = body.indexOf(RECORD_SEPARATOR, start)) {
    frames.push(body.subarray(start, at));
    start = at + 1;
  }
  frames.push(body.subarray(start));
  return frames;
}

/** A poll held by a local HTTP response. */
class ResponseWaiter implements PollWaiter {
  constructor(
    private readonly res: ServerResponse,
    private readonly headers: Headers,
  ) {}

  answer(result: PollResult): boolean {
    return answerPoll(this.res, result, this.headers);
  }
}

/** False when the response cannot take the answer any more. */
function answerPoll(res: ServerResponse, result: PollResult | "unknown", headers: Headers): boolean {
  if (res.writableEnded || res.destroyed) return false;
  if (result === "unknown") sendJson(res, 404, UNKNOWN, headers);
  else if ("ended" in result) sendJson(res, 410, { code: 410, reason: "session closed", close: result.ended }, headers);
  else if (result.frames.length === 0) res.writeHead(204, { ...headers, "Cache-Control": "no-store" }).end();
  else {
    const body = result.frames.join(String.fromCharCode(RECORD_SEPARATOR));
    res.writeHead(200, { ...headers, "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "Content-Length": String(Buffer.byteLength(body)) });
    res.end(body);
  }
  return true;
}

function answerOutcome(res: ServerResponse, outcome: Outcome | null, forwarded: boolean, headers: Headers): void {
  if (outcome === "ok") return void res.writeHead(204, { ...headers, "Cache-Control": "no-store" }).end();
  if (outcome === "unknown" || outcome === null) return sendJson(res, 404, forwarded && outcome === null ? { code: 404, reason: "the session's node does not answer: open a new session" } : UNKNOWN, headers);
  sendJson(res, 410, { code: 410, reason: "session closed", close: outcome }, headers);
}

/**
 * The HTTP transports of one node: opens SSE and long-poll sessions, and
 * routes every later request (`?sid=`) to its session — here, or on the node
 * the id names, through the forwarder (no sticky sessions needed). Every
 * answer allows the request's Origin back (CORS, credentials only for
 * `allowedOrigins`); preflights naming a session are answered here.
 */
export class HttpSessions {
  private readonly local = new Map<string, HttpTransport>();
  private readonly tag: string;
  private readonly limits: HttpTransportLimits;
  private readonly cors: Cors;
  /** Set by the layer above when the node is part of a fleet; without it a foreign id gets 421. */
  forwarder: SessionForwarder | null = null;
  /** Set by the layer above to the configuration's `transports` (read at every use, so live settings apply). */
  settings: () => HttpSessionSettings = () => BUILT_IN;

  constructor(private readonly opts: HttpSessionsOptions) {
    this.tag = nodeTag(opts.nodeId);
    this.limits = { wheel: opts.wheel, maxQueueBytes: opts.maxQueueBytes, onSlowReader: opts.onSlowReader, timings: () => this.settings() };
    this.cors = new Cors(() => this.settings().allowedOrigins, "GET, POST, DELETE, OPTIONS");
  }

  get size(): number {
    return this.local.size;
  }

  /** Opens a session (the request that asked for one was admitted). The caller binds it to its connection in this turn. */
  open(kind: "sse" | "poll", req: IncomingMessage, res: ServerResponse, remote: string, owner: string): HttpTransport {
    const sid = `${this.tag}.${randomBytes(24).toString("base64url")}`;
    let untrack = (_code: number): void => undefined;
    const onEnd = (t: HttpTransport) => {
      untrack(t.ending?.code ?? 0);
      // A stream carried its own close: nothing left to answer. A poll session stays to hand out its last frames.
      if (t.kind === "sse") this.local.delete(t.sid);
    };
    const headers = this.cors.headers(req);
    const transport =
      kind === "sse"
        ? new SseTransport(res, sid, remote, this.limits, onEnd, headers)
        : new PollTransport(sid, remote, this.limits, onEnd, (t) => this.local.get(t.sid) === t && this.local.delete(t.sid));
    this.local.set(sid, transport);
    untrack = this.opts.track(transport, owner);
    if (kind === "poll") sendJson(res, 200, { sid }, headers);
    return transport;
  }

  /** A request naming a session: POST frames, GET a poll, DELETE to say goodbye, OPTIONS a browser's preflight. */
  async serve(kind: "sse" | "poll", sid: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    if (method === "OPTIONS") return this.cors.preflight(req, res);
    const cors = this.cors.headers(req);
    const allow = kind === "poll" ? "GET, POST, DELETE, OPTIONS" : "POST, DELETE, OPTIONS";
    if (method === "POST") return this.post(sid, req, res, cors);
    if (method === "DELETE") return this.hangUp(sid, res, cors);
    if (method === "GET" && kind === "poll") return this.poll(sid, res, cors);
    if (method === "GET") return sendJson(res, 400, { code: 400, reason: "an SSE session is its stream: open a new one (GET without sid)" }, cors);
    sendJson(res, 405, { code: 405, reason: "method not allowed" }, { ...cors, Allow: allow });
  }

  /** Frames for a session of this node (from a local POST or another node's). */
  deliver(sid: string, frames: readonly Buffer[]): Outcome {
    const t = this.local.get(sid);
    if (!t) return "unknown";
    if (t.ending) return t.ending;
    t.receive(frames);
    return "ok";
  }

  /** Attaches a poll to a poll session of this node. */
  attachPoll(sid: string, waiter: PollWaiter): "ok" | "unknown" {
    const t = this.local.get(sid);
    if (!(t instanceof PollTransport)) return "unknown";
    t.attach(waiter);
    return "ok";
  }

  detachPoll(sid: string, waiter: PollWaiter): void {
    const t = this.local.get(sid);
    if (t instanceof PollTransport) t.detach(waiter);
  }

  /** The client ends its session (DELETE). */
  clientClose(sid: string): Outcome {
    const t = this.local.get(sid);
    if (!t) return "unknown";
    if (t.ending) return t.ending;
    t.clientClosed();
    return "ok";
  }

  /** Where the id's session lives: here, another node, or nowhere we can tell. */
  private homeOf(sid: string): "here" | string | null {
    if (sid.startsWith(`${this.tag}.`)) return "here";
    return nodeOfSid(sid);
  }

  private async post(sid: string, req: IncomingMessage, res: ServerResponse, cors: Headers): Promise<void> {
    const body = await readBody(req, this.opts.maxPayload);
    const home = this.homeOf(sid);
    if (body === null) {
      // As a WebSocket message over the hard cap: the session is closed with 1009.
      if (home === "here") this.local.get(sid)?.close(1009, "frame too large");
      // The rest of the body is read for a while and dropped; one that goes on ends the connection (see the HTTP server).
      return sendJson(res, 413, { code: 413, reason: "body too large" }, cors);
    }
    if (home === "here") return answerOutcome(res, this.deliver(sid, framesOf(body)), false, cors);
    if (home === null) return sendJson(res, 404, UNKNOWN, cors);
    if (!this.forwarder) return sendJson(res, 421, MISDIRECTED, cors);
    const outcome = await this.forwarder.deliver(home, sid, framesOf(body).map((f) => f.toString("utf8")));
    answerOutcome(res, outcome, true, cors);
  }

  private async poll(sid: string, res: ServerResponse, cors: Headers): Promise<void> {
    const home = this.homeOf(sid);
    if (home === "here") {
      const waiter = new ResponseWaiter(res, cors);
      if (this.attachPoll(sid, waiter) === "unknown") return sendJson(res, 404, UNKNOWN, cors);
      res.once("close", () => this.detachPoll(sid, waiter));
      return;
    }
    if (home === null) return sendJson(res, 404, UNKNOWN, cors);
    if (!this.forwarder) return sendJson(res, 421, MISDIRECTED, cors);
    const result = await this.forwarder.poll(home, sid, (tellHome) => res.once("close", () => res.writableEnded || tellHome()));
    // Frames the home handed over for a client that left meanwhile are lost with it, as with a dropped socket.
    answerPoll(res, result ?? "unknown", cors);
  }

  private async hangUp(sid: string, res: ServerResponse, cors: Headers): Promise<void> {
    const home = this.homeOf(sid);
    if (home === "here") return answerOutcome(res, this.clientClose(sid), false, cors);
    if (home === null) return sendJson(res, 404, UNKNOWN, cors);
    if (!this.forwarder) return sendJson(res, 421, MISDIRECTED, cors);
    answerOutcome(res, await this.forwarder.hangUp(home, sid), true, cors);
  }

  /** Every open session of this node (shutdown closes them with the WebSockets). */
  all(): HttpTransport[] {
    return [...this.local.values()];
  }
}
