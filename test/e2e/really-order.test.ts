import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertRefused, reallyServer, unique, type Frame, type ReallyClient } from "../helpers/really.js";

/** A fresh room made through really; returns its id. */
async function room(c: ReallyClient): Promise<string> {
  const name = unique("order");
  const reply = await c.request("create", { r: "/rooms/", body: { name } });
  assert.equal(reply.error, undefined, JSON.stringify(reply));
  return name;
}

const tags = (frames: Frame[]) => frames.map((f) => f.tag ?? `evt:${String(f.evt)}`);

describe("really: replies in arrival order", () => {
  const h = reallyServer({ limits: { messagesPerSecond: 10_000, burst: 10_000, maxFrameBytes: 2048 } });

  it("a request.invalid refusal waits for the create sent before it", async () => {
    const c = await h.client();
    const r = await room(c);
    c.send({ tag: 103, cmd: "create", r: `/rooms/${r}/messages/`, body: { body: "first" } });
    c.send({ tag: 104, cmd: "ping", r: 5 });
    const [first, second] = await c.inOrder(2);
    assert.equal(first.tag, 103, JSON.stringify(first));
    assert.equal(first.body.body, "first");
    assert.equal(second.tag, 104, JSON.stringify(second));
    assertRefused(second, 400, "request.invalid");
  });

  it("a 413 refusal waits for the requests sent before it", async () => {
    const c = await h.client();
    const r = await room(c);
    c.send({ tag: 105, cmd: "create", r: `/rooms/${r}/messages/`, body: { body: "first" } });
    c.send({ tag: 106, cmd: "ping", pad: "x".repeat(3000) });
    c.send({ tag: 107, cmd: "ping" });
    const frames = await c.inOrder(3);
    assert.deepEqual(tags(frames), [105, "evt:undefined", 107], JSON.stringify(frames));
    assertRefused(frames[1], 413, "frame.too-large");
  });

  it("a malformed frame is answered and the socket closed only after earlier requests were answered", async () => {
    const c = await h.client();
    const r = await room(c);
    c.send({ tag: 108, cmd: "create", r: `/rooms/${r}/messages/`, body: { body: "first" } });
    c.send("{not json");
    c.send({ tag: 109, cmd: "ping" });
    const [first, second] = await c.inOrder(2);
    assert.equal(first.tag, 108, JSON.stringify(first));
    assert.deepEqual(second, { error: { code: 400, message: "json.malformed" } });
    assert.equal((await c.waitClose()).code, 1007);
    assert.equal(c.c.frames.length, 0, "nothing after the close");
  });
});

describe("really: rate-limited requests", () => {
  const h = reallyServer({ limits: { messagesPerSecond: 1, burst: 5 } });

  it("a 429 repeats the request's tag and comes after the replies to earlier requests", async () => {
    const c = await h.client();
    // initialize and the room take two tokens of five: three are left.
    const r = await room(c);
    c.send({ tag: 201, cmd: "create", r: `/rooms/${r}/messages/`, body: { body: "first" } });
    c.send({ tag: 202, cmd: "ping" });
    c.send({ tag: 203, cmd: "ping" });
    c.send({ tag: 204, cmd: "ping" });
    c.send({ cmd: "ping" });
    const frames = await c.inOrder(5);
    assert.equal(frames[0].tag, 201, JSON.stringify(frames));
    assert.equal(frames[0].body.body, "first");
    assert.deepEqual(frames.slice(1, 3).map((f) => f.tag), [202, 203], JSON.stringify(frames));
    assert.deepEqual(frames[3], { tag: 204, error: { code: 429, message: "rate.limited" } });
    assert.deepEqual(frames[4], { error: { code: 429, message: "rate.limited" } });
  });
});

describe("really: a request's reply comes before the pushes it causes", () => {
  const h = reallyServer({ limits: { messagesPerSecond: 10_000, burst: 10_000 } });

  it("create of a message in a room read with subscribe: the reply, then created", async () => {
    const c = await h.client();
    const r = await room(c);
    await c.request("read", { r: `/rooms/${r}/messages/`, cmdOpts: { subscribe: true } });
    for (let n = 1; n <= 3; n++) c.send({ tag: 300 + n, cmd: "create", r: `/rooms/${r}/messages/`, body: { body: `m${n}` } });
    const frames = await c.inOrder(6);
    assert.deepEqual(tags(frames), [301, "evt:created", 302, "evt:created", 303, "evt:created"], JSON.stringify(frames));
    assert.deepEqual(frames.filter((f) => f.evt).map((f) => f.body.body), ["m1", "m2", "m3"]);
    for (let i = 0; i < 6; i += 2) assert.deepEqual(frames[i + 1].body, frames[i].body);
    assert.equal(await c.silentFor(100), true, "no duplicate");
  });

  it("create, update and delete of a followed document: each reply, then its push", async () => {
    const c = await h.client();
    const collection = `/${unique("notes")}/`;
    await c.request("read", { r: collection, cmdOpts: { subscribe: true } });
    c.send({ tag: 401, cmd: "create", r: collection, body: { title: "todo" } });
    const [made, created] = await c.inOrder(2);
    assert.deepEqual(tags([made, created]), [401, "evt:created"], JSON.stringify([made, created]));
    assert.equal(created.body._r, made.r);
    const sub = await c.request("subscribe", { body: { subscriptions: [{ r: made.r }] } });
    assert.deepEqual(sub.body.subscriptions, [made.r]);
    c.send({ tag: 402, cmd: "update", r: made.r, rev: 1, body: { ops: [{ op: "set", key: "title", value: "shopping" }] } });
    c.send({ tag: 403, cmd: "delete", r: made.r });
    const frames = await c.inOrder(4);
    assert.deepEqual(tags(frames), [402, "evt:updated", 403, "evt:deleted"], JSON.stringify(frames));
    assert.equal(frames[1].rev, 2);
    assert.equal(frames[3].rev, 3);
    assert.equal(await c.silentFor(100), true, "no duplicate");
  });

  it("pushes of other writers keep flowing in order around a subscriber's own requests", async () => {
    const c = await h.client();
    const other = await h.client();
    const r = await room(c);
    await c.request("read", { r: `/rooms/${r}/messages/`, cmdOpts: { subscribe: true } });
    const sends: Array<Promise<Frame>> = [];
    for (let n = 1; n <= 10; n++) {
      sends.push(other.request("create", { r: `/rooms/${r}/messages/`, body: { body: `o${n}` } }));
      c.send({ tag: 500 + n, cmd: "create", r: `/rooms/${r}/messages/`, body: { body: `c${n}` } });
    }
    await Promise.all(sends);
    const frames = await c.inOrder(30);
    const pushes = frames.filter((f) => f.evt === "created");
    assert.deepEqual(pushes.map((p) => p.body.nr), Array.from({ length: 20 }, (_, i) => i + 1), "every message once, in order");
    for (let n = 1; n <= 10; n++) {
      const reply = frames.findIndex((f) => f.tag === 500 + n);
      const echo = frames.findIndex((f) => f.evt === "created" && f.body.body === `c${n}`);
      assert.ok(reply >= 0 && reply < echo, `reply ${500 + n} before its echo: ${JSON.stringify(tags(frames))}`);
    }
    assert.equal(await c.silentFor(100), true);
  });
});
