import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { configWith } from "../../src/config/load.js";
import { ClientConnection, MAX_WAITING } from "../../src/connection/client-connection.js";
import { Clients, USER_SHARE } from "../../src/connection/clients.js";
import type { Answer, Handlers, Protocol, Refusal } from "../../src/connection/protocol.js";
import type { Core } from "../../src/core/core.js";
import { OutFrame } from "../../src/core/types.js";
import { createLogger } from "../../src/observability/log.js";
import { Metrics } from "../../src/observability/metrics.js";
import { TimerWheel } from "../../src/transport/timer-wheel.js";
import { FakeTransport } from "../helpers/fake-transport.js";

/** Polls `check` until it holds: these tests wait for conditions, not for fixed times. */
async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Req {
  id: number;
  op: string;
}

/** A small dialect: `{"id","op"}` requests; every refusal says its kind and what it could quote. */
const testProtocol: Protocol<Req, number> = {
  name: "test",
  format: "json",
  maxFrameBytes: (config) => config.limits.maxFrameBytes,
  refOf: (value) => (typeof value.id === "number" ? value.id : null),
  read(value) {
    const v = value as Record<string, unknown>;
    if (typeof v.id !== "number" || typeof v.op !== "string") return { ok: false, answer: { text: `invalid:${String(v.id)}`, code: "400" } };
    return { ok: true, request: { id: v.id, op: v.op } };
  },
  refuse(r: Refusal<number>): Answer {
    const ref = "ref" in r && r.ref !== null ? `:${r.ref}` : "";
    if (r.kind === "overloaded") return { text: "overloaded", close: { code: 1008, reason: "too many requests waiting" } };
    return { text: `refused:${r.kind}${ref}`, code: r.kind };
  },
  credentialEnded: (why) => ({ text: `credential:${why}`, close: { code: 1008, reason: why } }),
  graceMs: (config) => config.instalk.graceMs,
  idleMs: (config) => config.instalk.idleMs,
};

/** Handlers whose requests the test can hold up: `slow` waits for `go()`. */
class TestHandlers implements Handlers<Req> {
  conn!: ClientConnection<Req, number>;
  readonly log: string[] = [];
  private gate: (() => void) | null = null;
  private gated: Promise<void> = Promise.resolve();

  block(): void {
    this.gated = new Promise((resolve) => (this.gate = resolve));
  }

  go(): void {
    this.gate?.();
  }

  async handle(req: Req): Promise<void> {
    this.log.push(`handle:${req.id}`);
    if (req.op === "slow") await this.gated;
    if (req.op === "hold") {
      this.conn.hold();
      this.conn.push(new OutFrame(`push-during:${req.id}`));
      await this.gated;
    }
    if (req.op === "throw") throw new Error("boom");
    if (req.op === "pong") return;
    this.conn.send(`reply:${req.id}`);
  }

  immediate(req: Req): boolean {
    if (req.op !== "pong") return false;
    this.log.push(`immediate:${req.id}`);
    return true;
  }

  failed(_err: unknown, req: Req): void {
    this.conn.send(`failed:${req.id}`);
  }

  expired(): void {
    this.log.push("expired");
    this.conn.close(1000, "timeout");
  }

  closed(): void {
    this.log.push("closed");
  }
}

type Tree = { [key: string]: unknown };
const wheels: TimerWheel[] = [];
const revoke = new Map<string, () => void>();
/** Disconnect orders per user id, as the core's Disconnects would deliver them. */
const orders = new Map<string, () => void>();
const fakeCore = {
  revocations: {
    watch(id: string, fn: () => void) {
      revoke.set(id, fn);
      return () => revoke.delete(id);
    },
    disconnects: {
      watch(userId: string, watcher: { disconnected(): void }) {
        orders.set(userId, () => watcher.disconnected());
      },
      unwatch(userId: string) {
        orders.delete(userId);
      },
    },
  },
} as unknown as Core;

function setup(overrides: Tree = {}): Clients {
  const wheel = new TimerWheel(10);
  wheels.push(wheel);
  return new Clients(fakeCore, configWith(overrides), createLogger("silent"), new Metrics(), wheel);
}

function connect(clients: Clients): { t: FakeTransport; h: TestHandlers; conn: ClientConnection<Req, number> } {
  const t = new FakeTransport();
  const h = new TestHandlers();
  const conn = new ClientConnection(clients, t, testProtocol, h);
  h.conn = conn;
  return { t, h, conn };
}

afterEach(() => {
  for (const w of wheels.splice(0)) w.stop();
});

describe("client connection: order and bounds", () => {
  it("answers leave in arrival order, refusals included, behind a slow request", async () => {
    const { t, h } = connect(setup({ limits: { maxFrameBytes: 1024 } }));
    h.block();
    t.frame({ id: 1, op: "slow" });
    t.frame("not json");
    t.frame({ id: 2, op: "x", pad: "y".repeat(2000) });
    t.frame([1]);
    t.frame({ op: "no id" });
    t.frame({ id: 3, op: "x" });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(t.sent, [], "nothing overtakes the slow request");
    h.go();
    await until(() => t.sent.length === 6, "six answers");
    assert.deepEqual(t.sent, ["reply:1", "refused:not-json", "refused:too-large", "refused:not-object", "invalid:undefined", "reply:3"]);
  });

  it("a client that piles up requests behind a slow one gets the dialect's overload answer, not unbounded memory", async () => {
    // Every frame within the rate: refusals past the first few are dropped unread, so only admitted frames pile up.
    const burst = 5;
    const clients = setup({ limits: { burst, messagesPerSecond: 1_000_000 } });
    const { t, h } = connect(clients);
    h.block();
    for (let i = 0; i < burst + MAX_WAITING + 10 && t.closedWith === null; i++) {
      // The bucket refills between milliseconds.
      if (i % burst === 0) await new Promise((r) => setTimeout(r, 2));
      t.frame({ id: i, op: i === 0 ? "slow" : "x" });
    }
    assert.deepEqual(t.closedWith, { code: 1008, reason: "too many requests waiting" });
    assert.deepEqual(t.sent, ["overloaded"]);
    h.go();
    await until(() => h.log.includes("closed"), "cleanup");
    assert.deepEqual(t.sent, ["overloaded"], "the requests queued before the close are skipped");
  });

  it("a handler that throws is answered by the dialect's failure, in its turn", async () => {
    const { t } = connect(setup());
    t.frame({ id: 1, op: "throw" });
    t.frame({ id: 2, op: "x" });
    await until(() => t.sent.length === 2, "two answers");
    assert.deepEqual(t.sent, ["failed:1", "reply:2"]);
  });
});

describe("client connection: checks before the dialect reads", () => {
  it("refuses oversize, non-JSON, non-object and too-deep frames without calling read", async () => {
    let reads = 0;
    const counting: Protocol<Req, number> = { ...testProtocol, read: (v) => (reads++, testProtocol.read(v)) };
    const clients = setup({ limits: { maxFrameBytes: 1024 } });
    const t = new FakeTransport();
    const h = new TestHandlers();
    h.conn = new ClientConnection(clients, t, counting, h);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    t.frame("x".repeat(2000));
    t.frame("{");
    t.frame("3");
    t.frame({ id: 9, op: "x", deep });
    await until(() => t.sent.length === 4, "four refusals");
    assert.deepEqual(t.sent, ["refused:too-large", "refused:not-json", "refused:not-object", "refused:too-deep:9"]);
    assert.equal(reads, 0);
  });

  it("a refusal that makes the connection deaf stops reading at once, and closes after the earlier replies", async () => {
    const deafening: Protocol<Req, number> = { ...testProtocol, refuse: (r) => (r.kind === "not-json" ? { text: "bye", close: { code: 1007, reason: "x" }, deaf: true } : testProtocol.refuse(r)) };
    const clients = setup();
    const t = new FakeTransport();
    const h = new TestHandlers();
    h.conn = new ClientConnection(clients, t, deafening, h);
    h.block();
    t.frame({ id: 1, op: "slow" });
    t.frame("garbage");
    t.frame({ id: 2, op: "x" });
    h.go();
    await until(() => t.closedWith !== null, "the close");
    assert.deepEqual(t.sent, ["reply:1", "bye"]);
    assert.equal(t.closedWith?.code, 1007);
  });
});

describe("client connection: rate limits", () => {
  it("every frame costs a token, junk included; a refused one quotes what it could read", async () => {
    const { t } = connect(setup({ limits: { burst: 2, messagesPerSecond: 0.001 } }));
    t.frame({ id: 1, op: "x" });
    t.frame("junk");
    t.frame({ id: 3, op: "x" });
    t.frame("more junk");
    await until(() => t.sent.length === 4, "four answers");
    assert.deepEqual(t.sent, ["reply:1", "refused:not-json", "refused:rate-limited:3", "refused:rate-limited"]);
  });

  it("a user's connections on one node share USER_SHARE times one connection's allowance", async () => {
    const burst = 2;
    const clients = setup({ limits: { burst, messagesPerSecond: 0.001 } });
    const conns = Array.from({ length: USER_SHARE + 1 }, () => connect(clients));
    for (const { conn } of conns) conn.actAs("ann");
    for (const { t } of conns) for (let i = 0; i < burst; i++) t.frame({ id: i, op: "x" });
    await until(() => conns.every(({ t }) => t.sent.length === burst), "every answer");
    const all = conns.flatMap(({ t }) => t.sent);
    assert.equal(all.filter((s) => s.startsWith("reply")).length, burst * USER_SHARE);
    assert.equal(all.filter((s) => s.startsWith("refused:rate-limited")).length, burst);
    for (const { t } of conns) t.drop();
    await until(() => clients.allowances === 0, "the allowance to go with the last connection");
  });

  it("a user's second connection shares what the first had already spent, and a changed user draws on the new one", async () => {
    const burst = 2;
    const clients = setup({ limits: { burst, messagesPerSecond: 0.001 } });
    const first = connect(clients);
    first.conn.actAs("ann");
    // Alone, the first spends its own burst: the user's allowance (kept on it while it is alone) is that much less.
    for (let i = 0; i < burst; i++) first.t.frame({ id: i, op: "x" });
    const later = Array.from({ length: USER_SHARE }, () => connect(clients));
    for (const { conn } of later) conn.actAs("ann");
    for (const { t } of later) for (let i = 0; i < burst; i++) t.frame({ id: i, op: "x" });
    await until(() => [first, ...later].every(({ t }) => t.sent.length === burst), "every answer");
    const replies = later.flatMap(({ t }) => t.sent).filter((s) => s.startsWith("reply")).length;
    assert.equal(replies, burst * USER_SHARE - burst, "the later connections had what the first left");
    assert.equal(clients.allowances, 1);
    // A connection that becomes another user leaves ann's allowance and starts bob's, full.
    const other = connect(clients);
    other.conn.actAs("ann");
    other.conn.actAs("bob");
    other.t.frame({ id: 9, op: "x" });
    await until(() => other.t.sent.length === 1, "bob's answer");
    assert.deepEqual(other.t.sent, ["reply:9"]);
    assert.equal(clients.allowances, 2);
    for (const { t } of [first, ...later, other]) t.drop();
    await until(() => clients.allowances === 0, "the allowances to go with the last connections");
  });

  it("an immediate request skips the queue and costs no token", async () => {
    const { t, h } = connect(setup({ limits: { burst: 2, messagesPerSecond: 0.001 } }));
    h.block();
    t.frame({ id: 1, op: "slow" });
    await until(() => h.log.length === 1, "the slow request to start");
    t.frame({ id: 2, op: "pong" });
    assert.deepEqual(h.log, ["handle:1", "immediate:2"], "the pong did not wait behind the slow request");
    t.frame({ id: 3, op: "x" });
    h.go();
    await until(() => t.sent.length === 2, "the replies");
    assert.deepEqual(t.sent, ["reply:1", "reply:3"], "the pong took no token");
  });
});

describe("client connection: pushes, deadlines, credentials, close", () => {
  it("pushes during a holding request follow its reply; without a hold they go at once", async () => {
    const { t, h, conn } = connect(setup());
    h.block();
    t.frame({ id: 1, op: "hold" });
    await until(() => h.log.length === 1, "the request to start");
    conn.push(new OutFrame("push-meanwhile"));
    assert.deepEqual(t.sent, []);
    h.go();
    await until(() => t.sent.length === 3, "reply and pushes");
    assert.deepEqual(t.sent, ["reply:1", "push-during:1", "push-meanwhile"]);
    conn.push("later");
    assert.equal(t.sent.at(-1), "later");
  });

  it("held pushes past maxQueueBytes go out at once, in order, reply or not", async () => {
    const { t, h, conn } = connect(setup({ limits: { maxQueueBytes: 65_536 } }));
    h.block();
    t.frame({ id: 1, op: "hold" });
    await until(() => h.log.length === 1, "the request to start");
    const big = "z".repeat(40_000);
    conn.push(big);
    conn.push(big);
    assert.deepEqual(t.sent, ["push-during:1", big, big]);
    h.go();
    await until(() => t.sent.length === 4, "the reply");
  });

  it("the grace period ends in expired; after ready the idle period runs and frames move it", async () => {
    const clients = setup({ instalk: { graceMs: 40, idleMs: 150 } });
    const late = connect(clients);
    await until(() => late.h.log.includes("expired"), "the grace period to run out");
    const { t, h, conn } = connect(clients);
    conn.ready();
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      t.frame({ id: i, op: "x" });
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(!h.log.includes("expired"), "frames kept it alive");
    await until(() => h.log.includes("expired"), "the idle period to run out");
    assert.ok(Date.now() - started >= 300, "the idle period counted from the last frame");
  });

  it("every credential used stays watched; the first to end closes the connection with the dialect's words", async () => {
    const { t, conn } = connect(setup());
    const auth = (id: string) => ({ identity: { id: "u", name: "u", color: "#000000", verified: true, guest: false }, revocationId: id, expiresAt: null, authType: "password" as const });
    conn.watch(auth("first"));
    conn.watch(auth("second"));
    conn.watch(auth("first"));
    assert.ok(revoke.has("first") && revoke.has("second"));
    revoke.get("first")!();
    assert.deepEqual(t.sent, ["credential:revoked"]);
    assert.equal(t.closedWith?.code, 1008);
    assert.ok(!revoke.has("second"), "the other watch stopped with the connection");
  });

  it("closed runs after the queued work; finished settles; the drain closes with 1001", async () => {
    const clients = setup();
    const { t, h, conn } = connect(clients);
    h.block();
    t.frame({ id: 1, op: "slow" });
    await until(() => h.log.length === 1, "the slow request to start");
    const other = connect(clients);
    assert.equal(clients.size, 2);
    const draining = clients.drain();
    assert.equal(t.closedWith?.code, 1001);
    assert.equal(other.t.closedWith?.code, 1001);
    assert.ok(!h.log.includes("closed"), "cleanup waits for the running request");
    h.go();
    await draining;
    await conn.finished;
    assert.deepEqual(h.log, ["handle:1", "closed"]);
    assert.equal(clients.size, 0);
  });
});

describe("client connection: a protocol with an init frame", () => {
  it("the first frame goes to `first` whatever it is, unreadable as null, without a token", async () => {
    const seen: unknown[] = [];
    const clients = setup({ limits: { burst: 1, messagesPerSecond: 0.001, maxFrameBytes: 1024 } });
    for (const first of ["x".repeat(2000), "junk", { v: 1 }]) {
      const t = new FakeTransport();
      const h = new TestHandlers();
      const withInit: Handlers<Req> = Object.assign(Object.create(h) as TestHandlers, { first: (value: unknown) => void seen.push(value) });
      h.conn = new ClientConnection(clients, t, testProtocol, withInit);
      t.frame(first);
      t.frame({ id: 1, op: "x" });
      await until(() => t.sent.length === 1, "the reply after the init");
      assert.deepEqual(t.sent, ["reply:1"], "the init took no token");
    }
    assert.deepEqual(seen, [null, null, { v: 1 }]);
  });
});
