// Property-based fuzzing of instalk's frame handling through a real server's
// socket: instalk has no pure request parser (its codec takes any JSON object
// and the session dispatches on its keys), so frames — raw text, random
// JSON, and frames shaped like instalk's own operations — go over one
// initialised WebSocket, each followed by a heart-beat as a barrier.
// Whatever is sent, every frame that comes back before the barrier's ack is
// a JSON object, the socket stays open (instalk closes only on a bad init),
// and the server keeps serving. SWITCHBOARD_TEST_FUZZ_RUNS raises the count
// (npm run soak: 100,000 frames).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";

const RUNS = Number(process.env.SWITCHBOARD_TEST_FUZZ_RUNS ?? 300);
type Frame = { [key: string]: any };

const json = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 30 }));
const room = fc.oneof(fc.constantFrom("fz-a", "fz-b", "fz.c", "*"), text);
const op = fc.constantFrom("join", "leave", "msg", "load", "sync", "fetch", "bt", "st", "away", "set-room-topic", "set-user-info", "unknown");
const data = fc.oneof(
  fc.record({ body: text, mentions: fc.array(json, { maxLength: 2 }), attachments: fc.array(json, { maxLength: 2 }) }, { requiredKeys: [] }),
  fc.record({ txt: text }),
  fc.record({ "last-msg-nr": fc.oneof(fc.nat(), fc.integer(), fc.double()) }),
  fc.record({ from: fc.oneof(fc.nat(100), fc.integer()) }),
  fc.record({ before: fc.oneof(fc.nat(100), fc.string()) }),
  fc.record({ topic: text }),
  fc.record({ name: text, color: fc.oneof(fc.constant("#22BBFF"), text) }, { requiredKeys: [] }),
  json,
);
const frame: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ r: room, o: op, data }, { requiredKeys: [] }).map((f) => JSON.stringify(f)) },
  { weight: 1, arbitrary: fc.record({ identity: text, mail: fc.option(text), token: fc.option(text) }, { requiredKeys: [] }).map((f) => JSON.stringify(f)) },
  { weight: 1, arbitrary: fc.record({ "heart-beat": json }).map((f) => JSON.stringify(f)) },
  { weight: 1, arbitrary: fc.record({ v: fc.oneof(fc.constant("0.1"), json) }).map((f) => JSON.stringify(f)) },
  { weight: 1, arbitrary: json.map((v) => JSON.stringify(v) ?? "null") },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);

describe("fuzz: instalk frames over a real socket", () => {
  let t: TestServer;
  let c: TestClient;
  let barrier = 0;
  before(async () => {
    t = await startTestServer({ limits: { messagesPerSecond: 1e9, burst: 1e9 }, instalk: { maxRoomsPerConnection: 1000 } });
    c = await TestClient.connect(t.ws("/websocket"));
    c.send({ v: "0.1" });
    assert.equal((await c.next()).welcome, 1);
  });
  after(async () => {
    c.close();
    await t.stop();
  });

  it("every answer is a JSON object, the socket stays open, the server keeps serving", async () => {
    await fc.assert(
      fc.asyncProperty(frame, async (sent) => {
        const n = ++barrier;
        c.send(sent);
        c.send({ "heart-beat": -n });
        for (;;) {
          const got = await c.nextText(10_000);
          const value = JSON.parse(got) as unknown;
          assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), `not a JSON object: ${got}`);
          if ((value as Frame)["heart-beat-ack"] === -n) break;
        }
        assert.equal(c.closed, null);
      }),
      { numRuns: RUNS },
    );
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    assert.deepEqual(t.logs.filter((l) => typeof l.level === "number" && l.level >= 50), [], "no operation failed");
  });
});
