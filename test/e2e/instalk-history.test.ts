import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { instalkServer, newRoom, nrs, range, unthrottled, type Frame, type Peer } from "../helpers/instalk.js";

/** Sends `count` messages b1..bN and returns every stored frame the sender got back, in order. */
async function fill(p: Peer, r: string, count: number, from = 1): Promise<Frame[]> {
  for (let i = from; i < from + count; i++) p.say(r, `b${i}`);
  return p.msgs(r, count);
}

describe("instalk history", () => {
  const h = instalkServer(unthrottled);

  describe("a room with 60 stored events (messages, a topic and a user-info change)", () => {
    const r = newRoom();
    let a: Peer;
    /** Every stored event as the frame members received, by nr - 1. */
    let live: Frame[] = [];

    before(async () => {
      a = await h.peer();
      await a.join(r);
      live = await fill(a, r, 57);
      a.send({ r, o: "set-room-topic", data: { topic: "history" } });
      live.push(await a.op(r, "set-room-topic"));
      a.send({ identity: `Historian ${process.pid}` });
      live.push(await a.op(r, "set-user-info"));
      live.push(...(await fill(a, r, 1, 58)));
      assert.deepEqual(nrs(live), range(1, 60));
    });

    it("room-welcome carries the last 50 stored events, oldest first, each the whole frame members received", async () => {
      const welcome = await (await h.peer()).join(r);
      assert.deepEqual(welcome.messages, live.slice(10));
      assert.equal(welcome.topic, "history");
    });

    it("load: the 10 stored events before last-msg-nr, oldest first; fewer near the start; none at the beginning", async () => {
      const b = await h.peer();
      await b.join(r);
      assert.deepEqual((await b.history(r, "load", { "last-msg-nr": 23 })).messages, live.slice(12, 22));
      assert.deepEqual((await b.history(r, "load", { "last-msg-nr": 60 })).messages, live.slice(49, 59), "set-room-topic and set-user-info included");
      assert.deepEqual((await b.history(r, "load", { "last-msg-nr": 5 })).messages, live.slice(0, 4));
      assert.deepEqual(await b.history(r, "load", { "last-msg-nr": 1 }), { messages: [] });
    });

    it("fetch: up to 50 stored events before N, oldest first", async () => {
      const b = await h.peer();
      await b.join(r);
      assert.deepEqual((await b.history(r, "fetch", { before: 61 })).messages, live.slice(10, 60));
      assert.deepEqual((await b.history(r, "fetch", { before: 20 })).messages, live.slice(0, 19));
      assert.deepEqual(await b.history(r, "fetch", { before: 1 }), { messages: [] });
    });

    it("sync: every stored event from N inclusive, in order, more:false at the end", async () => {
      const b = await h.peer();
      await b.join(r);
      assert.deepEqual(await b.history(r, "sync", { from: 1 }), { messages: live, more: false });
      assert.deepEqual(await b.history(r, "sync", { from: 0 }), { messages: live, more: false });
      assert.deepEqual(await b.history(r, "sync", { from: 55 }), { messages: live.slice(54), more: false });
      assert.deepEqual(await b.history(r, "sync", { from: 61 }), { messages: [], more: false });
    });

    it("history replies are framed as {r, o, data}", async () => {
      const b = await h.peer();
      await b.join(r);
      for (const [o, data] of [["load", { "last-msg-nr": 3 }], ["sync", { from: 60 }], ["fetch", { before: 2 }]] as const) {
        b.send({ r, o, data });
        const f = await b.next();
        assert.deepEqual(Object.keys(f).sort(), ["data", "o", "r"]);
        assert.deepEqual([f.r, f.o], [r, o]);
      }
    });
  });

  it("sync pages at 500 with more:true; syncing again from the next nr continues without gaps", async () => {
    const r = newRoom();
    const [a, b, c] = await h.members(r, 3);
    const senders = [a, b, c];
    for (let i = 0; i < 180; i++) for (const p of senders) p.say(r, `s${i}`);
    const live = await a.msgs(r, 540);
    const reader = await h.peer();
    await reader.join(r);
    const first = await reader.history(r, "sync", { from: 1 });
    assert.equal(first.more, true);
    assert.deepEqual(first.messages, live.slice(0, 500));
    const second = await reader.history(r, "sync", { from: 501 });
    assert.deepEqual(second, { messages: live.slice(500), more: false });
    const exact = await reader.history(r, "sync", { from: 41 });
    assert.deepEqual({ n: exact.messages.length, more: exact.more }, { n: 500, more: false }, "exactly 500 left is one page");
  });

  it("history requests with bad fields are request.bad naming the field", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    for (const [o, data, field] of [
      ["load", {}, "data.last-msg-nr"],
      ["load", { "last-msg-nr": "23" }, "data.last-msg-nr"],
      ["sync", { from: -1 }, "data.from"],
      ["sync", { from: 1.5 }, "data.from"],
      ["fetch", { before: null }, "data.before"],
    ] as const) {
      a.send({ r, o, data });
      const f = await a.next();
      assert.deepEqual({ r: f.r, o: f.o, code: f.error.code, msg: f.error.msg }, { r, o, code: 400, msg: "request.bad" });
      assert.deepEqual(Object.keys(f.error.errors), [field], JSON.stringify(data));
    }
  });
});
