import assert from "node:assert/strict";
import { after, before } from "node:test";
import { startTestServer, type TestServer } from "./server.js";
import { TestClient } from "./ws-client.js";

/** A parsed server frame; tests read fields freely and assert on them. */
export type Frame = { [key: string]: any };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One really socket as a test drives it. Replies are matched by tag and pushes
 * by `evt`; frames that do not match stay queued for a later look, so a push
 * arriving before a reply is never lost.
 */
export class ReallyClient {
  private lastTag = 0;
  /** The `user` of the `initialized` reply, once initialized: `{_r, name, authType}`. */
  user: Frame = {};
  constructor(readonly c: TestClient) {}

  send(value: unknown): void {
    this.c.send(value);
  }

  /** Removes and returns the first queued frame that matches, waiting for one up to `timeoutMs`. */
  async take(match: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.c.frames.findIndex((text) => match(JSON.parse(text) as Frame));
      if (i >= 0) return JSON.parse(this.c.frames.splice(i, 1)[0]) as Frame;
      if (this.c.closed) throw new Error(`socket closed (${this.c.closed.code}) while waiting; queued: ${this.c.frames.join(" ")}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting; queued: ${this.c.frames.join(" ")}`);
      await sleep(5);
    }
  }

  /** The next `n` frames exactly as they arrived (replies and pushes alike), removed from the queue. */
  async inOrder(n: number, timeoutMs = 3000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.c.frames.length < n) {
      if (this.c.closed) throw new Error(`socket closed (${this.c.closed.code}) while waiting; queued: ${this.c.frames.join(" ")}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} frames; queued: ${this.c.frames.join(" ")}`);
      await sleep(5);
    }
    return this.c.frames.splice(0, n).map((text) => JSON.parse(text) as Frame);
  }

  /** Sends `{tag, cmd, ...fields}` with a fresh tag and returns the reply carrying that tag. */
  async request(cmd: string, fields: Frame = {}, timeoutMs?: number): Promise<Frame> {
    const tag = ++this.lastTag;
    this.send({ tag, cmd, ...fields });
    return this.take((f) => f.tag === tag, timeoutMs);
  }

  /** The next push (a frame with `evt` and no tag) of this kind. */
  push(evt: string, match: (f: Frame) => boolean = () => true, timeoutMs?: number): Promise<Frame> {
    return this.take((f) => f.evt === evt && !("tag" in f) && match(f), timeoutMs);
  }

  /** True when no frame at all is queued or arrives within `ms`. */
  silentFor(ms: number): Promise<boolean> {
    return this.c.silentFor(ms);
  }

  waitClose(timeoutMs?: number): Promise<{ code: number; reason: string }> {
    return this.c.waitClose(timeoutMs);
  }

  async initialize(accessToken: string): Promise<Frame> {
    const reply = await this.request("initialize", { accessToken });
    assert.equal(reply.evt, "initialized", JSON.stringify(reply));
    this.user = reply.body.user as Frame;
    return reply.body as Frame;
  }

  close(): Promise<unknown> {
    this.c.close();
    return this.c.waitClose().catch(() => undefined);
  }
}

/** The reply's error, asserted to have this code and message. */
export function assertRefused(reply: Frame, code: number, message: string): void {
  assert.ok(reply.error, `expected an error, got ${JSON.stringify(reply)}`);
  assert.equal(reply.error.code, code, JSON.stringify(reply));
  assert.equal(reply.error.message, message, JSON.stringify(reply));
}

let names = 0;
/** A name no other test in this process uses. */
export const unique = (base: string) => `${base}-${process.pid % 10_000}-${++names}`;

/** A server for really tests, the sockets they open, and tokens from the real HTTP auth API. */
export class ReallyHarness {
  t!: TestServer;
  private readonly clients: ReallyClient[] = [];

  async start(overrides: Record<string, unknown>): Promise<void> {
    this.t = await startTestServer(overrides);
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
    await this.t.stop();
  }

  async post(path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<{ status: number; body: Frame }> {
    const res = await fetch(`${this.t.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Frame) : {} };
  }

  async anonymousToken(): Promise<string> {
    const reply = await this.post("/auth/anonymous/");
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.accessToken as string;
  }

  /** Registers a fresh account and logs it in. */
  async account(base = "user"): Promise<{ name: string; id: string; token: string }> {
    const name = unique(base);
    const made = await this.post("/api/users", { name, password: "correct horse battery" });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const login = await this.post("/auth/login/", { name, password: "correct horse battery" });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    return { name, id: made.body.id as string, token: login.body.accessToken as string };
  }

  /** A bare socket on /v0.1/socket (nothing sent yet). */
  async socket(version = "0.1"): Promise<ReallyClient> {
    const client = new ReallyClient(await TestClient.connect(this.t.ws(`/v${version}/socket`)));
    this.clients.push(client);
    return client;
  }

  /** A socket initialized with `token` (a fresh anonymous one when none is given). */
  async client(token?: string): Promise<ReallyClient> {
    const c = await this.socket();
    await c.initialize(token ?? (await this.anonymousToken()));
    return c;
  }
}

/** One really harness for the enclosing `describe`: started before its tests, stopped after. */
export function reallyServer(overrides: Record<string, unknown> = {}): ReallyHarness {
  const h = new ReallyHarness();
  before(() => h.start(overrides));
  after(() => h.stop());
  return h;
}
