// Property-based fuzzing of how every JSON dialect decodes a frame: the
// connection layer's checks (size, UTF-8, JSON, object, nesting, the rate)
// and the dialect's codec (`Protocol.read` and `refuse`, in
// src/dialects/*/protocol.ts), run together as a real ClientConnection does,
// on raw bytes, JSON text and frames shaped like the dialect's own. Whatever
// comes in, nothing throws, and every frame is either handed to the
// dialect's handlers as a request or answered with one well-formed error of
// the dialect (and a close only where the dialect says). Fuse's lines are
// test/unit/fuzz-fuse-lines.test.ts. SWITCHBOARD_TEST_FUZZ_RUNS raises the count
// (npm run soak: 100,000 per dialect).
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { configWith } from "../../src/config/load.js";
import { ClientConnection } from "../../src/connection/client-connection.js";
import { Clients } from "../../src/connection/clients.js";
import type { Handlers, Protocol } from "../../src/connection/protocol.js";
import type { Core } from "../../src/core/core.js";
import { instalkProtocol } from "../../src/dialects/instalk/protocol.js";
import { pubsubProtocol } from "../../src/dialects/pubsub/protocol.js";
import { reallyProtocol } from "../../src/dialects/really/protocol.js";
import { relayProtocol } from "../../src/dialects/relay/protocol.js";
import { createLogger } from "../../src/observability/log.js";
import { Metrics } from "../../src/observability/metrics.js";
import { TimerWheel } from "../../src/transport/timer-wheel.js";
import { FakeTransport } from "../helpers/fake-transport.js";

const RUNS = Number(process.env.SWITCHBOARD_TEST_FUZZ_RUNS ?? 2000);
type Frame = { [key: string]: any };

/** Handlers that take every request the codec let through, and say nothing. */
class Taking<Req> implements Handlers<Req> {
  readonly taken: Req[] = [];
  handle(request: Req): void {
    this.taken.push(request);
  }
  failed(err: unknown): void {
    throw err;
  }
  closed(): void {}
}

const wheel = new TimerWheel(1000);
after(() => wheel.stop());
const clients = new Clients({} as Core, configWith({ limits: { maxFrameBytes: 4096, messagesPerSecond: 1e9, burst: 1e9 } }), createLogger("silent"), new Metrics(), wheel);

/** One frame through a fresh connection: what the dialect's handlers took, what was written, how it closed. */
async function decode<Req, Ref>(protocol: Protocol<Req, Ref>, bytes: Buffer, binary: boolean): Promise<{ taken: Req[]; sent: string[]; closed: FakeTransport["closedWith"] }> {
  const t = new FakeTransport();
  const h = new Taking<Req>();
  const conn = new ClientConnection(clients, t, protocol, h);
  t.bytes(bytes, binary);
  // Refusals are said in their turn, after a microtask or two.
  for (let i = 0; i < 5; i++) await Promise.resolve();
  conn.close(1000, "done");
  await conn.finished;
  return { taken: h.taken, sent: t.sent, closed: t.closedWith?.reason === "done" ? null : t.closedWith };
}

const json = fc.jsonValue({ maxDepth: 3 });
/** Anything: raw bytes (invalid UTF-8 included), JSON text, deep nesting, oversize text. */
function frames(shaped: fc.Arbitrary<Frame>): fc.Arbitrary<{ bytes: Buffer; binary: boolean }> {
  return fc.oneof(
    { weight: 2, arbitrary: shaped.map((f) => JSON.stringify(f)) },
    { weight: 1, arbitrary: json.map((v) => JSON.stringify(v) ?? "null") },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 80 }).map((n) => `${"[".repeat(n)}{"tag":1}${"]".repeat(n)}`) },
    { weight: 1, arbitrary: fc.constant(`{"pad":"${"x".repeat(5000)}"}`) },
  ).chain((text) => fc.record({ bytes: fc.constant(typeof text === "string" ? Buffer.from(text, "utf8") : text), binary: fc.boolean() }));
}

/** A frame with the dialect's own keys, filled with right, wrong and random values. */
const shaped = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fc.oneof(v, json)])), { requiredKeys: [] }) as fc.Arbitrary<Frame>;

const uuid = fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.string({ maxLength: 40 }));

function parsed(text: string): Frame {
  const value = JSON.parse(text) as unknown;
  assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), `not a JSON object: ${text}`);
  return value as Frame;
}

/** Every dialect: exactly one outcome per frame (taken, or answered), and a close only with a code a WebSocket may send. */
function checkOutcome(out: { taken: unknown[]; sent: string[]; closed: { code: number } | null }, mayClose: boolean): void {
  assert.equal(out.taken.length + out.sent.length > 0 || out.closed !== null, true, "the frame was neither taken nor answered");
  assert.ok(out.taken.length <= 1 && out.sent.length <= 1, `one frame, one outcome: ${JSON.stringify(out)}`);
  if (out.closed) {
    assert.ok(mayClose, `closed: ${JSON.stringify(out.closed)}`);
    assert.ok(out.closed.code >= 1000 && out.closed.code < 5000);
  }
}

describe("fuzz: every JSON dialect decodes any frame into a request or one well-formed error", () => {
  it("instalk: a frame object, or {error:{code,msg}}", async () => {
    await fc.assert(
      fc.asyncProperty(frames(shaped({ r: fc.string({ maxLength: 70 }), o: fc.constantFrom("join", "msg", "leave", "load", "sync", "x"), data: json, "heart-beat": fc.integer() })), async ({ bytes, binary }) => {
        const out = await decode(instalkProtocol, bytes, binary);
        checkOutcome(out, false);
        for (const text of out.sent) {
          const f = parsed(text);
          assert.deepEqual(Object.keys(f), ["error"]);
          assert.ok([400, 413, 429].includes(f.error.code), text);
          assert.equal(typeof f.error.msg, "string");
        }
        for (const req of out.taken) assert.equal(typeof req, "object");
      }),
      { numRuns: RUNS },
    );
  });

  it("relay: a typed request with lowercase UUIDs, or {type:error,code,message,ref}", async () => {
    const types = fc.constantFrom("ping", "pong", "enter", "exit", "message", "read", "invite", "kick", "close", "open", "nope");
    const shape = shaped({ type: types, room_id: uuid, user_id: uuid, key: fc.string({ maxLength: 10 }), content: fc.string({ maxLength: 20 }), time: fc.double(), message_id: fc.integer(), permanent: fc.boolean(), message: fc.string() });
    await fc.assert(
      fc.asyncProperty(frames(shape), async ({ bytes, binary }) => {
        const out = await decode(relayProtocol, bytes, binary);
        checkOutcome(out, false);
        for (const text of out.sent) {
          const f = parsed(text);
          assert.deepEqual(Object.keys(f).sort(), ["code", "message", "ref", "type"]);
          assert.equal(f.type, "error");
          assert.match(f.code, /^[a-z]+(\.[a-z-]+)+$/);
          assert.equal(typeof f.message, "string");
          assert.ok(f.ref === null || typeof f.ref === "string");
        }
        for (const req of out.taken as Frame[]) {
          assert.equal(typeof req.type, "string");
          for (const id of [req.room_id, req.user_id]) if (id !== undefined) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("really: a tagged request, or {tag?,error:{code,message,errors?}}; only malformed JSON closes (1007)", async () => {
    const shape = shaped({ tag: fc.oneof(fc.nat(), fc.integer(), fc.double()), cmd: fc.constantFrom("ping", "get", "read", "create", "update", "x"), r: fc.string({ maxLength: 40 }), rev: fc.integer(), cmdOpts: json, body: json });
    await fc.assert(
      fc.asyncProperty(frames(shape), async ({ bytes, binary }) => {
        const out = await decode(reallyProtocol, bytes, binary);
        checkOutcome(out, true);
        if (out.closed) assert.equal(out.closed.code, 1007);
        for (const text of out.sent) {
          const f = parsed(text);
          for (const key of Object.keys(f)) assert.ok(["tag", "r", "error"].includes(key), text);
          if ("tag" in f) assert.ok(Number.isSafeInteger(f.tag) && f.tag >= 0, text);
          assert.ok(Number.isInteger(f.error.code) && f.error.code >= 400 && f.error.code < 600, text);
          assert.equal(typeof f.error.message, "string");
        }
        for (const { request } of out.taken as Array<{ request: Frame }>) {
          assert.ok(Number.isSafeInteger(request.tag));
          assert.equal(typeof request.cmd, "string");
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("pubsub: a request with op and id, or {op,type:error,id,code,message}", async () => {
    const shape = shaped({ op: fc.constantFrom("connect", "sub", "unsub", "pub", "resume", ""), type: fc.constantFrom("request", "push"), id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), topics: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }), data: json });
    await fc.assert(
      fc.asyncProperty(frames(shape), async ({ bytes, binary }) => {
        const out = await decode(pubsubProtocol, bytes, binary);
        checkOutcome(out, false);
        for (const text of out.sent) {
          const f = parsed(text);
          assert.equal(f.type, "error");
          assert.ok(f.op === null || typeof f.op === "string");
          assert.ok(f.id === null || typeof f.id === "string" || typeof f.id === "number");
          assert.ok([400, 413, 429].includes(f.code), text);
          assert.equal(typeof f.message, "string");
        }
        for (const req of out.taken as Frame[]) {
          assert.equal(typeof req.op, "string");
          assert.ok(req.id === null || typeof req.id === "string" || typeof req.id === "number");
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("every refusal of every dialect is one well-formed error and, where it closes, a valid close", () => {
    const refs = fc.oneof(fc.constant(null), fc.string({ maxLength: 10 }), fc.nat(), fc.record({ op: fc.option(fc.string({ maxLength: 5 })), id: fc.oneof(fc.constant(null), fc.string({ maxLength: 5 }), fc.integer()) }));
    const refusal = fc.oneof(
      refs.map((ref) => ({ kind: "rate-limited" as const, ref })),
      refs.map((ref) => ({ kind: "too-deep" as const, ref })),
      json.map((value) => ({ kind: "not-object" as const, value })),
      fc.constantFrom({ kind: "too-large" as const }, { kind: "not-json" as const }, { kind: "binary" as const }, { kind: "overloaded" as const }),
    );
    const protocols: Array<Protocol<unknown, unknown>> = [instalkProtocol, relayProtocol, reallyProtocol, pubsubProtocol] as Array<Protocol<unknown, unknown>>;
    fc.assert(
      fc.property(refusal, fc.constantFrom(...protocols), (r, protocol) => {
        // Refs reach a dialect only as its own refOf read them; a foreign one must not break it either.
        const answer = protocol.refuse(r as never);
        if (answer.text !== undefined) parsed(answer.text);
        if (answer.close) assert.ok(answer.close.code >= 1000 && answer.close.code < 5000 && typeof answer.close.reason === "string");
        assert.ok(answer.text !== undefined || answer.close !== undefined, "a refusal says something or closes");
      }),
      { numRuns: RUNS },
    );
  });
});
