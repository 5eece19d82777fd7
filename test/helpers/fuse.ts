import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { request, type IncomingMessage } from "node:http";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { afterEach, beforeEach } from "node:test";
import type { JsonObject } from "../../src/core/json.js";
import { sidOf } from "../../src/dialects/fuse/link-records.js";
import { LocalBroker, LocalNetwork } from "../../src/engine/broker/local/index.js";
import { startTestServer, type TestServer } from "./server.js";

export const md5 = (text: string) => createHash("md5").update(text).digest("hex");

let names = 0;
/** A fuse name no other test uses (letters first: all digits is reserved for ids). */
export const newName = (prefix = "u") => `${prefix}${process.pid.toString(36)}x${(++names).toString(36)}`;

/** Lines as they arrive, taken in order with a timeout, so a test fails rather than hangs. */
class LineQueue {
  readonly lines: string[] = [];
  ended = false;
  private waiters: Array<() => void> = [];

  push(line: string): void {
    this.lines.push(line);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async next(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) throw new Error("stream ended while waiting for a line");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a line");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.lines.shift()!;
  }

  async waitEnd(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error("stream did not end");
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** One fuse WebSocket as a test drives it: every frame is one line. */
export class FuseClient {
  readonly q = new LineQueue();
  closeCode: number | null = null;

  private constructor(
    readonly ws: WebSocket,
    readonly name: string,
  ) {
    ws.on("message", (data: Buffer) => this.q.push(data.toString("utf8")));
    ws.on("close", (code: number) => {
      this.closeCode = code;
      this.q.end();
    });
    ws.on("error", () => undefined);
  }

  /** `localAddress` (127.0.0.x) makes the client come from another public address. */
  static async connect(t: TestServer, name: string, opts: { localAddress?: string } = {}): Promise<FuseClient> {
    const query = name === "" ? "" : `?name=${encodeURIComponent(name)}`;
    const ws = new WebSocket(t.ws(`/fuse${query}`), { localAddress: opts.localAddress });
    const client = new FuseClient(ws, name);
    await once(ws, "open");
    return client;
  }

  send(line: string): void {
    this.ws.send(line);
  }

  next(timeoutMs = 3000): Promise<string> {
    return this.q.next(timeoutMs);
  }

  /** Sends a line and returns the next line (the reply, when nothing else is on its way). */
  async cmd(line: string): Promise<string> {
    this.send(line);
    return this.next();
  }

  /** Asserts the next lines are exactly these, in this order. */
  async expect(...lines: string[]): Promise<void> {
    for (const line of lines) assert.equal(await this.next(), line);
  }

  /** The next `count` lines, in any order. */
  async some(count: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(await this.next());
    return out.sort();
  }

  /** Skips lines until one satisfies `match`. */
  async waitFor(match: (line: string) => boolean, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.next(Math.max(1, deadline - Date.now()));
      if (match(line)) return line;
    }
  }

  async silentFor(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.q.lines.length === 0;
  }

  async waitClose(timeoutMs = 3000): Promise<number> {
    await this.q.waitEnd(timeoutMs);
    return this.closeCode ?? 0;
  }

  /** `salt` then `open` with md5(secret + salt). */
  async open(secret: string): Promise<string> {
    const salt = (await this.cmd("salt")).split("|")[2];
    return this.cmd(`open|${salt}|${md5(secret + salt)}`);
  }

  close(): void {
    this.ws.close();
  }
}

/** Registers `name` (over a throwaway socket) and returns its key and id. */
export async function register(t: TestServer, name: string, mail = "", pass = ""): Promise<{ key: string; id: string }> {
  const c = await FuseClient.connect(t, name);
  const reply = await c.cmd(`user|${mail}|${pass}`);
  c.close();
  const [, status, key, id] = reply.split("|");
  assert.equal(status, "done", reply);
  return { key, id };
}

/** A registered, logged-in user on its own socket. */
export async function loggedIn(t: TestServer, prefix = "u", opts: { localAddress?: string } = {}): Promise<FuseClient> {
  const name = newName(prefix);
  const { key } = await register(t, name);
  const c = await FuseClient.connect(t, name, opts);
  assert.equal(await c.open(key), "open|done");
  return c;
}

export interface PushResult {
  status: number;
  text: string;
  headers: IncomingMessage["headers"];
  /** The `fuse` cookie the response set ("" when it cleared it), or null when it set none. */
  cookie: string | null;
}

function cookieIn(headers: IncomingMessage["headers"]): string | null {
  for (const c of headers["set-cookie"] ?? []) {
    const m = /^fuse=([^;]*)/.exec(c);
    if (m) return decodeURIComponent(m[1]);
  }
  return null;
}

/** One `/push` over plain HTTP. */
export async function push(t: TestServer, name: string, data: string, opts: { cookie?: string | null; method?: "GET" | "POST"; body?: string; headers?: Record<string, string> } = {}): Promise<PushResult> {
  const q = new URLSearchParams();
  if (name !== "") q.set("name", name);
  if (opts.body === undefined) q.set("data", data);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.cookie) headers.cookie = `fuse=${encodeURIComponent(opts.cookie)}`;
  const res = await fetch(`${t.url}/push?${q}`, { method: opts.method ?? "GET", headers, body: opts.body });
  const out: Record<string, string | string[]> = {};
  res.headers.forEach((v, k) => (out[k] = v));
  const setCookies = res.headers.getSetCookie();
  return { status: res.status, text: await res.text(), headers: { ...out, "set-cookie": setCookies }, cookie: cookieIn({ "set-cookie": setCookies }) };
}

/** Registers and logs in over HTTP; returns the session cookie. */
export async function httpLogin(t: TestServer, name: string): Promise<string> {
  const reg = await push(t, name, "user||");
  const key = reg.text.split("|")[2];
  const salt = (await push(t, name, "salt")).text.split("|")[2];
  const open = await push(t, name, `open|${salt}|${md5(key + salt)}`);
  assert.equal(open.text, "open|done");
  assert.ok(open.cookie, "open|done sets the session cookie");
  return open.cookie;
}

/** A held-open `/pull`, read line by line (SSE events are unwrapped to their data). */
export class Pull {
  readonly q = new LineQueue();
  raw = "";
  private consumed = 0;

  private constructor(
    readonly res: IncomingMessage,
    private readonly sse: boolean,
  ) {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      this.raw += chunk;
      this.split();
    });
    res.on("close", () => this.q.end());
    res.on("error", () => undefined);
  }

  static open(t: TestServer, name: string, opts: { cookie?: string; sse?: boolean; origin?: string } = {}): Promise<Pull> {
    const headers: Record<string, string> = {};
    if (opts.cookie) headers.cookie = `fuse=${encodeURIComponent(opts.cookie)}`;
    if (opts.sse) headers.accept = "text/event-stream";
    if (opts.origin) headers.origin = opts.origin;
    return new Promise((resolve, reject) => {
      const req = request(`${t.url}/pull?name=${encodeURIComponent(name)}`, { headers }, (res) => resolve(new Pull(res, opts.sse === true)));
      req.on("error", reject);
      req.end();
    });
  }

  get ended(): boolean {
    return this.q.ended;
  }

  private split(): void {
    const sep = this.sse ? "\n\n" : "\n";
    for (;;) {
      const end = this.raw.indexOf(sep, this.consumed);
      if (end < 0) return;
      const chunk = this.raw.slice(this.consumed, end);
      this.consumed = end + sep.length;
      this.q.push(this.sse ? chunk.replace(/^data: /, "") : chunk);
    }
  }

  next(timeoutMs = 3000): Promise<string> {
    return this.q.next(timeoutMs);
  }

  /** The next line that is not a keep-alive. */
  async nextReal(timeoutMs = 3000): Promise<string> {
    for (;;) {
      const line = await this.next(timeoutMs);
      if (line !== "noop") return line;
    }
  }

  waitEnd(timeoutMs = 3000): Promise<void> {
    return this.q.waitEnd(timeoutMs);
  }

  close(): void {
    this.res.destroy();
  }
}

export interface FuseHarness {
  readonly t: TestServer;
  /** A registered user logged in over its own socket, closed after the test. */
  user(prefix?: string, opts?: { localAddress?: string }): Promise<FuseClient>;
}

/** A fresh server for every test of the enclosing `describe`: the lobby is shared, so other tests' lines would get in the way. */
export function fusePerTest(overrides: Record<string, unknown> = {}): FuseHarness {
  const clients: FuseClient[] = [];
  const h = {
    t: undefined as unknown as TestServer,
    async user(prefix = "u", opts: { localAddress?: string } = {}) {
      const c = await loggedIn(h.t, prefix, opts);
      clients.push(c);
      return c;
    },
  };
  beforeEach(async () => {
    h.t = await startTestServer(overrides);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await h.t.stop();
  });
  return h;
}

export interface FuseFleet {
  readonly nodes: TestServer[];
  /** Stops every node still running and removes the shared data folder. */
  stop(): Promise<void>;
}

/**
 * Servers in this process sharing one in-memory broker network and one SQLite
 * file (the same data folder): a fleet as a round-robin balancer without
 * sticky sessions sees it, with the test choosing the node of each request.
 */
export async function startFuseFleet(count: number, overrides: Record<string, unknown> = {}): Promise<FuseFleet> {
  const dir = await mkdtemp(join(tmpdir(), "sb-fuse-fleet-"));
  const network = new LocalNetwork();
  const nodes: TestServer[] = [];
  // One after the other: the first creates the store and the generated keys that the others read.
  for (let i = 0; i < count; i++) nodes.push(await startTestServer(overrides, dir, { broker: (nodeId) => new LocalBroker({ nodeId, network }) }));
  return {
    nodes,
    async stop() {
      await Promise.allSettled(nodes.map((n) => n.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What the fleet records of the HTTP session behind `cookie` (null when nothing). */
export function fleetRecord(t: TestServer, cookie: string): Promise<JsonObject | null> {
  return t.server.core.store.kv.get("fuse-links", sidOf(cookie));
}

/** Polls `check` until it holds; fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
