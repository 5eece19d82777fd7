import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertRefused, reallyServer, unique, type Frame } from "../helpers/really.js";
import { TestClient } from "../helpers/ws-client.js";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("really: rooms and messages", () => {
  const h = reallyServer({ limits: { messagesPerSecond: 10_000, burst: 10_000 }, really: { maxMessageChars: 50 } });

  /** A fresh room made through really; returns its id. */
  async function room(c: Awaited<ReturnType<typeof h.client>>, topic?: string): Promise<string> {
    const name = unique("room");
    const reply = await c.request("create", { r: "/rooms/", body: { name, topic } });
    assert.equal(reply.error, undefined, JSON.stringify(reply));
    return name;
  }

  it("creates and gets a room, refusing a duplicate, a bad name and a missing room", async () => {
    const c = await h.client();
    const name = unique("room");
    const made = await c.request("create", { r: "/rooms/", body: { name, topic: "chat" } });
    assert.deepEqual(made, { tag: made.tag, r: `/rooms/${name}`, rev: 1, body: { _r: `/rooms/${name}`, _rev: 1, name, topic: "chat", members: [] } });
    assert.deepEqual((await c.request("get", { r: `/rooms/${name}/` })).body, made.body);
    assertRefused(await c.request("create", { r: "/rooms/", body: { name } }), 409, "object.exists");
    assertRefused(await c.request("create", { r: "/rooms/", body: { name: "no spaces" } }), 400, "request.invalid");
    assertRefused(await c.request("get", { r: "/rooms/never-made" }), 404, "object.missing");
    assertRefused(await c.request("update", { r: `/rooms/${name}`, rev: 1, body: { ops: [{ op: "set", key: "topic", value: "x" }] } }), 403, "object.forbidden");
    assertRefused(await c.request("delete", { r: `/rooms/${name}` }), 403, "object.forbidden");
  });

  it("reads /rooms/ as a paged list of every room, whichever dialect made it", async () => {
    const c = await h.client();
    const prefix = unique("list");
    const names = [`${prefix}-c`, `${prefix}-a`, `${prefix}-b`];
    for (const name of names) assert.equal((await c.request("create", { r: "/rooms/", body: { name, topic: `t-${name}` } })).error, undefined);
    // An instalk client's room is a core room too.
    const i = await TestClient.connect(h.t.ws("/websocket"));
    i.send({ v: "0.1" });
    await i.waitFor((f) => f.welcome === 1);
    i.send({ r: `${prefix}-d`, o: "join" });
    await i.waitFor((f) => f.o === "room-welcome");
    const seen: Frame[] = [];
    let token: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const reply = await c.request("read", { r: "/rooms/", cmdOpts: { limit: 2, ascending: true, ...(token ? { paginationToken: token } : {}) } });
      assert.equal(reply.error, undefined, JSON.stringify(reply));
      assert.ok(reply.body.items.length <= 2);
      seen.push(...reply.body.items);
      token = reply.body.tokens.nextToken;
      if (!token) break;
    }
    const mine = seen.filter((item) => String(item.body.name).startsWith(prefix));
    assert.deepEqual(mine.map((item) => item.body.name), [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`, `${prefix}-d`], "id order, each once");
    assert.deepEqual(mine[0].body, { _r: `/rooms/${prefix}-a`, _rev: 1, name: `${prefix}-a`, topic: `t-${prefix}-a`, members: [] });
    assert.equal(mine[3].body.members.length, 1, "the instalk member shows");
    assert.match(mine[0].meta.created, ISO);
    const names2 = seen.map((item) => String(item.body.name));
    assert.deepEqual(names2, [...names2].sort(), "ascending by id across pages");
    assertRefused(await c.request("read", { r: "/rooms/", cmdOpts: { query: { filter: "name = $n", values: { n: "x" } } } }), 400, "request.invalid");
    assertRefused(await c.request("read", { r: "/rooms/", cmdOpts: { paginationToken: "garbage" } }), 400, "paginationToken.invalid");
    i.close();
  });

  it("creates messages as stored items and gets one by its number", async () => {
    const c = await h.client();
    const r = await room(c);
    const made = await c.request("create", { r: `/rooms/${r}/messages/`, body: { body: "hello", mentions: ["bob"] } });
    assert.equal(made.r, `/rooms/${r}/messages/1`);
    assert.equal(made.rev, 1);
    const item = made.body;
    assert.deepEqual(Object.keys(item).sort(), ["_r", "_rev", "attachments", "body", "mentions", "nr", "sender", "time"]);
    assert.deepEqual({ ...item, time: "" }, {
      _r: made.r, _rev: 1, nr: 1, time: "", sender: { _r: c.user._r, name: c.user.name }, body: "hello", mentions: ["bob"], attachments: [],
    });
    assert.match(item.time, ISO);
    assert.deepEqual((await c.request("get", { r: made.r })).body, item);
    assertRefused(await c.request("get", { r: `/rooms/${r}/messages/2` }), 404, "object.missing");
    assertRefused(await c.request("create", { r: `/rooms/${r}/messages/`, body: { body: "" } }), 400, "request.invalid");
    assertRefused(await c.request("create", { r: `/rooms/${r}/messages/`, body: { body: "x".repeat(51) } }), 400, "request.invalid");
    assertRefused(await c.request("create", { r: `/rooms/${r}/messages/`, body: { text: "wrong field" } }), 400, "request.invalid");
    assertRefused(await c.request("create", { r: "/rooms/never-made/messages/", body: { body: "hi" } }), 404, "object.missing");
    assertRefused(await c.request("read", { r: "/rooms/never-made/messages/" }), 404, "object.missing");
  });

  it("reads history by sequence number: newest first by default, pages both ways", async () => {
    const c = await h.client();
    const r = await room(c, "a topic"); // the topic is a stored event too: reads step over it
    for (let n = 1; n <= 45; n++) await c.request("create", { r: `/rooms/${r}/messages/`, body: { body: `m${n}` } });
    const bodies = (reply: Frame) => reply.body.items.map((i: Frame) => i.body.body as string);
    const first = await c.request("read", { r: `/rooms/${r}/messages/` });
    assert.equal(first.body.items.length, 20);
    assert.deepEqual(bodies(first), Array.from({ length: 20 }, (_, i) => `m${45 - i}`));
    assert.match(first.body.items[0].meta.created, ISO);
    const seen: string[] = [];
    let token: string | undefined;
    let last: Frame | null = null;
    do {
      last = await c.request("read", { r: `/rooms/${r}/messages/`, cmdOpts: { ascending: true, limit: 20, paginationToken: token } });
      seen.push(...bodies(last));
      token = last.body.tokens.nextToken;
    } while (token);
    assert.deepEqual(seen, Array.from({ length: 45 }, (_, i) => `m${i + 1}`));
    const back = await c.request("read", { r: `/rooms/${r}/messages/`, cmdOpts: { paginationToken: last.body.tokens.prevToken } });
    assert.deepEqual(bodies(back), Array.from({ length: 20 }, (_, i) => `m${i + 21}`));
    assertRefused(await c.request("read", { r: `/rooms/${r}/messages/`, cmdOpts: { query: { filter: "body = $b", values: { b: "m1" } } } }), 400, "request.invalid");
  });

  it("pushes created for each new message to a read with subscribe:true, once, in order", async () => {
    const writer = await h.client();
    const reader = await h.client();
    const r = await room(writer);
    await writer.request("create", { r: `/rooms/${r}/messages/`, body: { body: "before" } });
    const read = await reader.request("read", { r: `/rooms/${r}/messages/`, cmdOpts: { subscribe: true } });
    assert.deepEqual(read.body.items.map((i: Frame) => i.body.body), ["before"]);
    for (let n = 1; n <= 5; n++) void writer.request("create", { r: `/rooms/${r}/messages/`, body: { body: `live ${n}` } });
    for (let n = 1; n <= 5; n++) {
      const push = await reader.push("created");
      assert.equal(push.r, `/rooms/${r}/messages/*/`, "created names the collection");
      assert.equal(push.body._r, `/rooms/${r}/messages/${n + 1}`);
      assert.equal(push.body.body, `live ${n}`);
      assert.equal(push.body.sender._r, writer.user._r);
      assert.deepEqual(push.meta.opBy, { authType: "anonymous", uid: writer.user._r.slice("/users/".length), data: {} });
    }
    assert.equal(await reader.silentFor(100), true);
    await reader.request("unsubscribe", { body: { subscriptions: [`/rooms/${r}/messages/`] } });
    await writer.request("create", { r: `/rooms/${r}/messages/`, body: { body: "after" } });
    assert.equal(await reader.silentFor(150), true);
  });
});

describe("really and instalk share rooms", () => {
  const h = reallyServer();

  it("an instalk message appears in a really read; a really message reaches the instalk member", async () => {
    const r = unique("bridge");
    const instalk = await TestClient.connect(h.t.ws("/websocket"));
    instalk.send({ v: "0.1" });
    await instalk.waitFor((f) => f.welcome === 1);
    instalk.send({ r, o: "join" });
    await instalk.waitFor((f) => f.o === "room-welcome");
    instalk.send({ r, o: "msg", data: { body: "from instalk" } });
    await instalk.waitFor((f) => f.o === "msg" && (f.data as Frame).body === "from instalk");

    const really = await h.client();
    const room = await really.request("get", { r: `/rooms/${r}` });
    assert.equal(room.body.members.length, 1);
    const read = await really.request("read", { r: `/rooms/${r}/messages/`, cmdOpts: { subscribe: true } });
    assert.deepEqual(read.body.items.map((i: Frame) => [i.body.nr, i.body.body]), [[1, "from instalk"]]);

    await really.request("create", { r: `/rooms/${r}/messages/`, body: { body: "from really" } });
    const got = await instalk.waitFor((f) => f.o === "msg" && (f.data as Frame).body === "from really");
    assert.equal((got.data as Frame).nr, 2);
    assert.equal((got.data as Frame).sid, really.user._r.slice("/users/".length));

    instalk.send({ r, o: "msg", data: { body: "live from instalk" } });
    const push = await really.push("created", (f) => f.body.body === "live from instalk");
    assert.equal(push.r, `/rooms/${r}/messages/*/`);
    assert.equal(push.body._r, `/rooms/${r}/messages/3`);
    instalk.close();
  });
});
