// A flood costs the flooder: over its rate a connection's frames are refused
// unread, only the first few refusals of a flood are answered, and a flood
// that outlasts limits.floodGraceMs ends the connection with the dialect's
// rate-limit error and a 1008 "flooding" close — every dialect, over every
// transport, and fuse's /push (whose keep-alive socket is closed). Nothing
// here is timed: the latency under a flood is measured by the long mode
// (test/e2e/flood-latency.test.ts, npm run soak).
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { FLOOD_ANSWERS } from "../../src/transport/flood-guard.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { openWire, WIRE_KINDS, type Wire, type WireKind } from "../helpers/wires.js";

type Frame = { [key: string]: any };

/** Low enough that a test floods past it at once, long enough that a loaded machine's pauses do not end a flood. */
const LIMITS = { messagesPerSecond: 20, burst: 20, floodGraceMs: 600 };
/** Floods restart after a second's pause; a loaded machine may pause the flooding test that long once or twice. */
const MOST_ANSWERED = 3 * (FLOOD_ANSWERS + 1);

const json = (text: string): Frame | null => {
  try {
    return JSON.parse(text) as Frame;
  } catch {
    return null;
  }
};

interface Dialect {
  /** The endpoint path (with its query), given the server. */
  path(t: TestServer): Promise<string>;
  /** What makes the connection ready for requests (an init, a connect); resolves once it is. */
  start(w: Wire, t: TestServer): Promise<void>;
  /** A cheap request, flooded over and over. */
  flood: unknown;
  /** The dialect's rate-limit error. */
  limited(text: string): boolean;
}

async function anonymousToken(t: TestServer): Promise<string> {
  const res = await fetch(`${t.url}/auth/anonymous/`, { method: "POST" });
  return ((await res.json()) as { accessToken: string }).accessToken;
}

const dialects: Record<string, Dialect> = {
  instalk: {
    path: async () => "/websocket",
    async start(w) {
      w.send({ v: "0.1" });
      await w.waitFor((f) => f.welcome === 1);
    },
    flood: { "heart-beat": 1 },
    limited: (text) => json(text)?.error?.msg === "rate.limited",
  },
  relay: {
    async path(t) {
      const res = await fetch(`${t.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ anonymous: true }) });
      return `/relay?key=${encodeURIComponent(((await res.json()) as { key: string }).key)}`;
    },
    start: async () => undefined,
    flood: { type: "ping", time: 1 },
    limited: (text) => json(text)?.code === "rate.limited",
  },
  really: {
    path: async () => "/v0.1/socket",
    async start(w, t) {
      w.send({ tag: 1, cmd: "initialize", accessToken: await anonymousToken(t) });
      await w.waitFor((f) => f.evt === "initialized");
    },
    flood: { tag: 2, cmd: "ping" },
    limited: (text) => json(text)?.error?.code === 429,
  },
  pubsub: {
    path: async () => "/pubsub",
    async start(w) {
      w.send({ op: "connect", type: "request", id: "c", auth: { provider: "anonymous" } });
      await w.waitFor((f) => f.op === "connect" && f.type === "success");
    },
    flood: { op: "unsub", type: "request", id: "u", topics: ["nothing"] },
    limited: (text) => json(text)?.code === 429,
  },
  fuse: {
    path: async () => "/fuse?name=flooder",
    start: async () => undefined,
    flood: "ping",
    limited: (text) => text === "main|fail|rate limited",
  },
};

/** Sends `frame` over and over, as fast as the carrier takes it, until the server closes the connection. */
async function floodUntilClosed(w: Wire, kind: WireKind, frame: unknown): Promise<number> {
  const deadline = Date.now() + 30_000;
  let sent = 0;
  while (!w.closed && Date.now() < deadline) {
    if (kind === "websocket") {
      for (let i = 0; i < 50; i++) w.send(frame);
      await new Promise((r) => setTimeout(r, 1));
    } else {
      const http = w as Wire & { sendMany(values: unknown[]): void; flushed(): Promise<void> };
      http.sendMany(Array.from({ length: 50 }, () => frame));
      await http.flushed();
    }
    sent += 50;
  }
  await w.waitClose(10_000);
  return sent;
}

describe("a flooding connection is refused unread, mostly in silence, then closed", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ limits: LIMITS });
  });
  after(() => t.stop());

  for (const [name, dialect] of Object.entries(dialects)) {
    for (const kind of name === "fuse" ? (["websocket"] as const) : WIRE_KINDS) {
      it(`${name} over ${kind}: a few rate-limit errors, then silence, then the error and a 1008 "flooding" close`, async () => {
        const w = await openWire(kind, t.url, await dialect.path(t));
        await dialect.start(w, t);
        const sent = await floodUntilClosed(w, kind, dialect.flood);
        assert.deepEqual(w.closed, { code: 1008, reason: "flooding" });
        const limited = w.frames.filter((f) => dialect.limited(f)).length;
        assert.ok(limited >= 1, "the flooder is told it is limited");
        assert.ok(limited <= MOST_ANSWERED, `${limited} of ${sent} refusals answered: past the first few, a flood is refused in silence`);
        assert.ok(dialect.limited(w.frames.at(-1) ?? ""), `the last word before the close is the rate-limit error: ${w.frames.at(-1)}`);
        // The server is none the worse for it.
        const other = await openWire("websocket", t.url, await dialect.path(t));
        await dialect.start(other, t);
        other.close();
      });
    }
  }
});

/** One GET /push on `agent`; resolves with the status, the body and the socket it went over. */
function pushOn(agent: Agent, t: TestServer, line: string): Promise<{ status: number; text: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.url}/push?name=flooder&data=${encodeURIComponent(line)}`, { agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, socket: req.socket! }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("fuse /push: a keep-alive socket that keeps being refused is closed", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ limits: LIMITS });
  });
  after(() => t.stop());

  it("429 main|fail|rate limited while it floods, then its socket is closed after the grace", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await pushOn(agent, t, "ping");
      const socket = first.socket;
      let closed = false;
      socket.once("close", () => (closed = true));
      let refused = 0;
      const deadline = Date.now() + 30_000;
      while (!closed && Date.now() < deadline) {
        const answer = await pushOn(agent, t, "ping").catch(() => null);
        if (answer?.status === 429) {
          assert.equal(answer.text, "main|fail|rate limited");
          refused++;
        }
        if (answer && answer.socket !== socket) break;
      }
      assert.ok(refused > 0, "the pushes over the allowance were refused");
      for (let i = 0; i < 200 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(closed, "the server closed the flooding socket");
    } finally {
      agent.destroy();
    }
  });
});
