import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SocketHarness, useHarness } from "./harness.js";
import type { TestClient } from "./ws-client.js";

/** A parsed server frame; tests read fields freely and assert on them. */
export type Frame = { [key: string]: any };

let topics = 0;
/** A topic name no other test uses. */
export const newTopic = (prefix = "t") => `${prefix}.${process.pid}.${++topics}`;

let ids = 0;

/**
 * One /pubsub socket as a test drives it. Frames wait in an inbox: taking
 * a reply leaves the pushes that arrived around it for later assertions.
 */
export class PubsubClient {
  user!: { id: string; name: string };
  session!: string;
  readonly inbox: Frame[] = [];

  constructor(readonly c: TestClient) {}

  send(value: unknown): void {
    this.c.send(value);
  }

  /** The first frame (inbox first, then arriving ones) that matches; the others stay. */
  async take(match: (f: Frame) => boolean, timeoutMs = 3000, what = "frame"): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(match);
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      try {
        this.inbox.push(await this.c.next(Math.max(1, deadline - Date.now())));
      } catch (err) {
        throw new Error(`${(err as Error).message} (waiting for ${what}; inbox: ${JSON.stringify(this.inbox).slice(0, 500)})`);
      }
    }
  }

  /** Sends a request with a fresh id and resolves to its reply (success or error). */
  async request(op: string, body: Frame = {}, timeoutMs = 3000): Promise<Frame> {
    const id = `r${++ids}`;
    this.send({ op, type: "request", id, ...body });
    return this.take((f) => f.id === id && f.op === op && (f.type === "success" || f.type === "error"), timeoutMs, `${op} reply`);
  }

  async ok(op: string, body: Frame = {}): Promise<Frame> {
    const reply = await this.request(op, body);
    assert.equal(reply.type, "success", `${op} failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  async connect(provider: string, token?: string): Promise<Frame> {
    const reply = await this.ok("connect", { auth: token === undefined ? { provider } : { provider, access_token: token } });
    this.user = reply.user;
    this.session = reply.session;
    return reply;
  }

  sub(...topics: string[]): Promise<Frame> {
    return this.ok("sub", { topics });
  }

  pub(topics: string[], data: unknown): Promise<Frame> {
    return this.ok("pub", { topics, data });
  }

  mesg(match: (f: Frame) => boolean = () => true, timeoutMs?: number): Promise<Frame> {
    return this.take((f) => f.op === "mesg" && match(f), timeoutMs, "mesg");
  }

  pres(type: "join" | "leave", userId: string, topic: string, timeoutMs?: number): Promise<Frame> {
    return this.take((f) => f.op === "pres" && f.type === type && f.sender?.id === userId && f.topics?.[0] === topic, timeoutMs, `pres ${type}`);
  }

  /** Every frame the server sent before the reply to a fresh request: what it had queued so far. */
  async settle(): Promise<Frame[]> {
    await this.request("noop");
    return this.inbox.splice(0);
  }

  /** True when nothing arrives within `ms` (and nothing is waiting). */
  async quiet(ms: number): Promise<boolean> {
    return (await this.c.silentFor(ms)) && this.inbox.length === 0;
  }

  close(): Promise<unknown> {
    this.c.close();
    return this.c.waitClose().catch(() => undefined);
  }
}

/** One real server for a `describe` block, with every socket a test opened closed after it. */
export class PubsubHarness extends SocketHarness {
  async client(): Promise<PubsubClient> {
    return new PubsubClient(await this.connect("/pubsub"));
  }

  /** A socket connected as a fresh guest, subscribed to `topics` if any. */
  async guest(...topics: string[]): Promise<PubsubClient> {
    const p = await this.client();
    await p.connect("anonymous");
    if (topics.length > 0) await p.sub(...topics);
    return p;
  }

  /** A switchboard access token for a new guest (POST /auth/anonymous/). */
  async anonymousToken(): Promise<{ token: string; id: string; name: string }> {
    const res = await fetch(`${this.t.url}/auth/anonymous/`, { method: "POST" });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { accessToken: string; user: { id: string; name: string } };
    return { token: body.accessToken, ...body.user };
  }
}

export const pubsubServer = (overrides: Record<string, unknown> = {}) => useHarness(new PubsubHarness(), overrides);

/** A generous flood allowance, for tests that send hundreds of frames on purpose. */
export const unthrottled = { limits: { messagesPerSecond: 100_000, burst: 100_000 } };

export interface Verifier {
  url: string;
  /** Requests received, in order, as parsed bodies. */
  readonly calls: Frame[];
  close(): Promise<void>;
}

const listen = (server: Server) =>
  new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/verify`)));

/**
 * A real HTTP login verifier, answering by token: a key of `users` gets 200
 * with that user; "slow" answers after 2 s; "garbled" gets 200 with no JSON;
 * "broken" gets 500; anything else 401.
 */
export async function startVerifier(users: Record<string, { id: string | number; name: string }>): Promise<Verifier> {
  const calls: Frame[] = [];
  const pending = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const call = JSON.parse(body) as Frame;
      calls.push(call);
      const token = String(call.access_token);
      const user = users[token];
      if (user) return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(user));
      if (token === "garbled") return void res.writeHead(200, { "content-type": "application/json" }).end("<html>oops");
      if (token === "broken") return void res.writeHead(500).end("down for maintenance");
      if (token === "slow") {
        const t = setTimeout(() => {
          pending.delete(t);
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: "slow", name: "Slow" }));
        }, 2000);
        return void pending.add(t);
      }
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":"invalid token"}');
    });
  });
  const url = await listen(server);
  return {
    url,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of pending) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL where nothing listens: a port that was free a moment ago. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}
