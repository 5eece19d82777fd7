import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { instalkServer, newRoom, type Frame, type Peer } from "../helpers/instalk.js";

const MALFORMED = { error: { code: 400, msg: "json.malformed" } };

/** The socket still works: a heart-beat is answered. */
async function stillServed(p: Peer): Promise<void> {
  assert.deepEqual(await p.drain(), []);
}

describe("instalk errors", () => {
  const h = instalkServer();

  it("malformed JSON is json.malformed and the socket stays open", async () => {
    const p = await h.peer();
    for (const text of ["{nope", "", "\"just a string\"", "[1,2]", "null", "12"]) {
      p.send(text);
      assert.deepEqual(await p.next(), MALFORMED, `frame ${JSON.stringify(text)}`);
    }
    await stillServed(p);
  });

  it("a room operation on a room this socket has not joined is 404 room.not-joined, with r and o echoed", async () => {
    const r = newRoom();
    const [member, outsider] = [await h.peer(), await h.peer()];
    await member.join(r);
    const ops = [
      { o: "msg", data: { body: "hi" } },
      { o: "leave" },
      { o: "load", data: { "last-msg-nr": 5 } },
      { o: "sync", data: { from: 1 } },
      { o: "fetch", data: { before: 5 } },
      { o: "bt" },
      { o: "st" },
      { o: "away" },
      { o: "set-room-topic", data: { topic: "x" } },
    ];
    for (const op of ops) {
      outsider.send({ r, ...op });
      assert.deepEqual(await outsider.next(), { r, o: op.o, error: { code: 404, msg: "room.not-joined" } });
    }
    assert.deepEqual(await member.drain(), [], "the room heard nothing");
  });

  it("an unknown operation is operation.unsupported, with r and o echoed", async () => {
    const p = await h.peer();
    p.send({ r: "somewhere", o: "dance" });
    assert.deepEqual(await p.next(), { r: "somewhere", o: "dance", error: { code: 400, msg: "operation.unsupported" } });
    p.send({ o: "dance" });
    assert.deepEqual(await p.next(), { o: "dance", error: { code: 400, msg: "operation.unsupported" } });
  });

  it("bad fields are request.bad with an errors object naming them", async () => {
    const r = newRoom();
    const p = await h.peer();
    await p.join(r);
    const cases: Array<[unknown, Record<string, unknown>, string]> = [
      [{ r, o: "msg" }, { r, o: "msg" }, "data.body"],
      [{ r, o: "msg", data: { body: "x", mentions: "nope" } }, { r, o: "msg" }, "data.mentions"],
      [{ r, o: "msg", data: { body: "x", attachments: {} } }, { r, o: "msg" }, "data.attachments"],
      [{ r: "bad room", o: "msg", data: { body: "x" } }, { r: "bad room", o: "msg" }, "r"],
      [{ o: "sync", data: { from: 1 } }, { o: "sync" }, "r"],
      [{ r, o: 5 }, { r }, "o"],
      [{ r }, { r }, "o"],
      [{ hello: "world" }, {}, "o"],
    ];
    for (const [frame, echo, field] of cases) {
      p.send(frame);
      const f = await p.next();
      assert.deepEqual({ ...f, error: { ...f.error, errors: undefined } }, { ...echo, error: { code: 400, msg: "request.bad", errors: undefined } }, JSON.stringify(frame));
      assert.deepEqual(Object.keys(f.error.errors), [field], JSON.stringify(frame));
      assert.equal(typeof f.error.errors[field], "string");
    }
    await stillServed(p);
  });

  it("a frame over 64 KiB is 413 frame.too-large and the socket stays usable; 64 KiB exactly is read", async () => {
    const r = newRoom();
    const p = await h.peer();
    await p.join(r);
    const frame = (bytes: number) => {
      const head = '{"heart-beat":9}';
      return head + " ".repeat(bytes - head.length);
    };
    p.send(frame(64 * 1024 + 1));
    assert.deepEqual(await p.next(), { error: { code: 413, msg: "frame.too-large" } });
    p.send(frame(64 * 1024));
    assert.deepEqual(await p.next(), { "heart-beat-ack": 9 });
    assert.equal((await p.said(r, "still here")).data.nr, 1);
  });

  it("a frame over the transport's hard cap (1 MiB) closes the socket with 1009", async () => {
    const p = await h.peer();
    p.send("x".repeat(1024 * 1024 + 1));
    assert.equal((await p.c.waitClose()).code, 1009);
  });
});

describe("instalk flood limit", () => {
  const h = instalkServer({ limits: { messagesPerSecond: 5, burst: 4 } });

  it("frames beyond the burst are 429 rate.limited; the socket stays open and others are unaffected", async () => {
    const r = newRoom();
    const [flooder, bystander] = [await h.peer(), await h.peer()];
    await flooder.join(r); // 1 of the burst
    await bystander.join(r);
    for (let i = 0; i < 8; i++) flooder.send({ r, o: "msg", data: { body: `flood ${i}` } });
    const replies: Frame[] = [];
    while (replies.length < 8) replies.push(await flooder.waitFor((f) => f.o === "msg" || "error" in f));
    const limited = replies.filter((f) => "error" in f);
    assert.ok(limited.length >= 4 && limited.length < 8, `${limited.length} refused`);
    for (const f of limited) assert.deepEqual(f, { error: { code: 429, msg: "rate.limited" } });
    const stored = replies.filter((f) => f.o === "msg");
    assert.deepEqual(stored.map((f) => f.data.nr), stored.map((_, i) => i + 1), "what got through is stored gaplessly");
    assert.equal((await bystander.said(r, "calm")).data.nr, stored.length + 1);
    await new Promise((resolve) => setTimeout(resolve, 250)); // one token refills at 5/s
    assert.ok((await flooder.said(r, "later")).data.nr > stored.length + 1);
  });

  it("malformed frames count against the same allowance", async () => {
    const p = await h.peer();
    for (let i = 0; i < 8; i++) p.send("{nope");
    const replies: Frame[] = [];
    while (replies.length < 8) replies.push(await p.next());
    assert.deepEqual(replies.slice(0, 4), Array(4).fill(MALFORMED), "within the burst of 4");
    assert.ok(replies.some((f) => f.error.code === 429), JSON.stringify(replies));
  });
});
