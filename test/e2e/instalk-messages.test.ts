import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertTime, instalkServer, newRoom, nrs, range, unthrottled, type Frame, type Peer } from "../helpers/instalk.js";

describe("instalk messages", () => {
  const h = instalkServer(unthrottled);

  it("a message reaches every member, sender included, with nr from 1, the sender's id and an EJSON time", async () => {
    const r = newRoom();
    const [a, b, c] = await h.members(r, 3);
    a.say(r, "hello");
    for (const p of [a, b, c]) {
      const f = await p.next();
      assert.deepEqual(Object.keys(f).sort(), ["data", "o", "r"]);
      assert.deepEqual(Object.keys(f.data).sort(), ["attachments", "body", "mentions", "nr", "sid", "time"]);
      assert.deepEqual({ ...f, data: { ...f.data, time: null } }, {
        r,
        o: "msg",
        data: { nr: 1, time: null, sid: a.user.id, body: "hello", mentions: [], attachments: [] },
      });
      assertTime(f.data.time);
    }
    b.say(r, "second");
    assert.deepEqual(nrs(await a.msgs(r, 1)), [2]);
  });

  it("sid, nr and time from the client are ignored: the server sets them", async () => {
    const r = newRoom();
    const [a, b] = await h.members(r, 2);
    a.send({ r, sid: b.user.id, nr: 99, time: { $date: "2000-01-01T00:00:00.000Z" }, o: "msg", data: { body: "mine", sid: b.user.id, nr: 99, time: { $date: "2000-01-01T00:00:00.000Z" } } });
    const f = (await b.msgs(r, 1))[0];
    assert.equal(f.data.sid, a.user.id);
    assert.equal(f.data.nr, 1);
    assert.equal(f.sid, undefined);
    assertTime(f.data.time);
  });

  it("mentions and attachments default to [] and are passed through when given", async () => {
    const r = newRoom();
    const [a, b] = await h.members(r, 2);
    const attachments = [{ kind: "image", url: "https://example.org/x.png" }];
    a.say(r, "see @b", { mentions: [b.user.id], attachments });
    const f = (await b.msgs(r, 1))[0];
    assert.deepEqual(f.data.mentions, [b.user.id]);
    assert.deepEqual(f.data.attachments, attachments);
  });

  it("a body of 1 or 4,000 characters is stored; 0 or 4,001 is request.bad with the field named", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    for (const body of ["", "x".repeat(4001), "😀".repeat(4001), 42]) {
      a.send({ r, o: "msg", data: { body } });
      const f = await a.next();
      assert.deepEqual({ r: f.r, o: f.o, code: f.error?.code, msg: f.error?.msg }, { r, o: "msg", code: 400, msg: "request.bad" }, `body ${String(body).length}`);
      assert.deepEqual(Object.keys(f.error.errors), ["data.body"]);
    }
    for (const body of ["x", "x".repeat(4000), "😀".repeat(4000)]) assert.equal((await a.said(r, body)).data.body, body);
    assert.equal((await a.said(r, "next")).data.nr, 4, "refused bodies took no nr");
  });

  it("bt, st and away reach the other members only, and are never stored", async () => {
    const r = newRoom();
    const [a, b, c] = await h.members(r, 3);
    for (const o of ["bt", "st", "away"]) a.send({ r, o });
    for (const p of [b, c]) {
      for (const o of ["bt", "st", "away"]) {
        const f = await p.next();
        assert.deepEqual(Object.keys(f).sort(), ["o", "r", "sid", "time"]);
        assert.deepEqual({ r: f.r, o: f.o, sid: f.sid }, { r, o, sid: a.user.id });
        assertTime(f.time);
      }
    }
    assert.deepEqual(await a.drain(), [], "not echoed to the sender");
    assert.equal((await a.said(r, "after typing")).data.nr, 1, "nr did not advance");
    const synced = await c.history(r, "sync", { from: 1 });
    assert.deepEqual(synced.messages.map((m: Frame) => m.o), ["msg"]);
  });

  it("a typing signal sent after a message never overtakes it", async () => {
    const r = newRoom();
    const [a, b] = await h.members(r, 2);
    a.say(r, "typed");
    a.send({ r, o: "st" });
    assert.deepEqual([(await b.next()).o, (await b.next()).o], ["msg", "st"]);
  });

  it("set-room-topic is stored, sent to all members, and is the topic of later welcomes", async () => {
    const r = newRoom();
    const [a, b] = await h.members(r, 2);
    await a.said(r, "first");
    a.send({ r, o: "set-room-topic", data: { topic: "Plans for Friday" } });
    for (const p of [a, b]) {
      const f = await p.op(r, "set-room-topic");
      assert.deepEqual(Object.keys(f).sort(), ["data", "o", "r"]);
      assert.deepEqual(Object.keys(f.data).sort(), ["#", "nr", "sender", "sid", "time", "topic", "when"]);
      assert.deepEqual({ nr: f.data.nr, sid: f.data.sid, topic: f.data.topic }, { nr: 2, sid: a.user.id, topic: "Plans for Friday" });
      assertTime(f.data.time);
    }
    const welcome = await (await h.peer()).join(r);
    assert.equal(welcome.topic, "Plans for Friday");
    assert.deepEqual(welcome.messages.map((m: Frame) => m.o), ["msg", "set-room-topic"]);
    a.send({ r, o: "set-room-topic", data: { topic: 5 } });
    const bad = await a.waitFor((f) => "error" in f);
    assert.equal(bad.error.msg, "request.bad");
    assert.ok(bad.error.errors["data.topic"]);
  });

  it("concurrent senders: every member sees the same gapless order, nothing twice", async () => {
    const r = newRoom();
    const peers = await h.members(r, 3);
    const perSender = 100;
    for (let i = 0; i < perSender; i++) for (const [k, p] of peers.entries()) p.say(r, `${k}:${i}`);
    const seen = await Promise.all(peers.map((p) => p.msgs(r, perSender * peers.length)));
    const first = seen[0].map((f) => `${f.data.nr} ${f.data.sid} ${f.data.body}`);
    assert.deepEqual(nrs(seen[0]), range(1, perSender * peers.length));
    for (const other of seen.slice(1)) assert.deepEqual(other.map((f) => `${f.data.nr} ${f.data.sid} ${f.data.body}`), first);
    for (const [k, p] of peers.entries()) {
      const own = seen[0].filter((f) => f.data.sid === p.user.id).map((f) => f.data.body);
      assert.deepEqual(own, range(0, perSender - 1).map((i) => `${k}:${i}`), "each sender's messages in its sending order");
    }
    assert.deepEqual(await peers[0].drain(), [], "and nothing after");
  });

  it("members joining while messages are in flight see each event once (history, then live), without gaps", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    const total = 600;
    let sent = 0;
    const pump = (async () => {
      while (sent < total) {
        for (let k = 0; k < 10; k++) a.say(r, `m${++sent}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    await a.msgs(r, 5);
    const late: Array<{ p: Peer; history: Frame[] }> = [];
    for (let i = 0; i < 3; i++) {
      const p = await h.peer();
      late.push({ p, history: (await p.join(r)).messages as Frame[] });
    }
    await pump;
    for (const { p, history } of late) {
      const lastInHistory = history[history.length - 1].data.nr as number;
      assert.ok(lastInHistory < total, "joined while messages were still coming");
      const all = [...history, ...(await p.msgs(r, total - lastInHistory))];
      assert.deepEqual(nrs(all), range(history[0].data.nr, total));
      assert.deepEqual(all.map((f) => f.data.body), nrs(all).map((n) => `m${n}`));
      assert.deepEqual((await p.drain()).filter((f) => f.o === "msg"), [], "nothing twice");
    }
  });
});
