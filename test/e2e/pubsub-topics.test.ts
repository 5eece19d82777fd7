import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newTopic, pubsubServer } from "../helpers/pubsub.js";

describe("pubsub sub, unsub and pub", () => {
  const h = pubsubServer();

  it("sub answers with the topics granted and the user", async () => {
    const c = await h.guest();
    const t = newTopic();
    c.send({ op: "sub", type: "request", id: "req-123", topics: [t] });
    assert.deepEqual(await c.take(() => true), { op: "sub", type: "success", id: "req-123", topics: [t], user: c.user });
  });

  it("pub reaches every subscriber, the publisher too, with one push id and the session's sender", async () => {
    const t = newTopic();
    const [a, b, c] = [await h.guest(t), await h.guest(t), await h.guest(t)];
    const outsider = await h.guest(newTopic());
    a.send({ op: "pub", type: "request", id: "pub-456", topics: [t], data: { type: "group_chat", payload: "Hi All" }, sender: { id: "evil", name: "Mallory" } });
    assert.deepEqual(await a.take((f) => f.id === "pub-456"), { op: "pub", type: "success", id: "pub-456" });
    const got = [await a.mesg(), await b.mesg(), await c.mesg()];
    for (const m of got) {
      assert.deepEqual(Object.keys(m), ["op", "type", "id", "topics", "data", "sender"]);
      assert.equal(m.type, "push");
      assert.deepEqual(m.topics, [t]);
      assert.deepEqual(m.data, { type: "group_chat", payload: "Hi All" });
      assert.deepEqual(m.sender, a.user);
      assert.equal(m.id, got[0].id);
    }
    assert.ok(await outsider.quiet(100));
  });

  it("the publisher gets its pub success before its own mesg, on plain and personal topics alike", async () => {
    const t = newTopic();
    const a = await h.guest(t, "chats/me");
    a.send({ op: "pub", type: "request", id: "p1", topics: [t, `chats/${a.user.id}`], data: "echo" });
    a.send({ op: "pub", type: "request", id: "p2", topics: [t], data: "again" });
    const frames = [];
    for (let i = 0; i < 5; i++) frames.push(await a.c.next());
    const order = frames.map((f) => (f.op === "mesg" ? `mesg ${String(f.data)} ${(f.topics as string[])[0]}` : `${String(f.op)} ${String(f.type)} ${String(f.id)}`));
    assert.deepEqual(order.slice(0, 1), ["pub success p1"], JSON.stringify(order));
    assert.deepEqual(order.slice(1, 3).sort(), [`mesg echo ${t}`, "mesg echo chats/me"].sort(), JSON.stringify(order));
    assert.deepEqual(order.slice(3), ["pub success p2", `mesg again ${t}`], JSON.stringify(order));
    assert.ok(await a.quiet(100), "no duplicate");
  });

  it("while others publish too, each success precedes its own echo and every mesg arrives once, in order", async () => {
    const t = newTopic();
    const [a, b] = [await h.guest(t), await h.guest()];
    const others: Array<Promise<unknown>> = [];
    for (let i = 0; i < 20; i++) {
      others.push(b.pub([t], `b${i}`));
      a.send({ op: "pub", type: "request", id: `a${i}`, topics: [t], data: `a${i}` });
    }
    await Promise.all(others);
    const frames = [];
    for (let i = 0; i < 60; i++) frames.push(await a.c.next());
    const mesgs = frames.filter((f) => f.op === "mesg");
    assert.deepEqual(mesgs.map((m) => parseInt(String(m.id), 10)), Array.from({ length: 40 }, (_, i) => i + 1), "once each, in order");
    for (let i = 0; i < 20; i++) {
      const ack = frames.findIndex((f) => f.op === "pub" && f.id === `a${i}`);
      const echo = frames.findIndex((f) => f.op === "mesg" && f.data === `a${i}`);
      assert.ok(ack >= 0 && ack < echo, `a${i}: success at ${ack}, mesg at ${echo}`);
    }
    assert.ok(await a.quiet(100));
  });

  it("any JSON is data, and push ids differ from message to message and topic to topic", async () => {
    const [t1, t2] = [newTopic(), newTopic()];
    const a = await h.guest(t1, t2);
    const values = [null, 7, "text", [1, { x: true }], { deep: { er: [] } }];
    for (const v of values) await a.pub([t1], v);
    await a.pub([t1, t2], "both");
    const seen = [];
    for (const v of values) seen.push(await a.mesg((m) => JSON.stringify(m.data) === JSON.stringify(v)));
    const both = [await a.mesg((m) => m.topics[0] === t1), await a.mesg((m) => m.topics[0] === t2)];
    assert.deepEqual(both.map((m) => m.data), ["both", "both"]);
    const ids = [...seen, ...both].map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length);
  });

  it("unsub stops delivery", async () => {
    const t = newTopic();
    const [a, b] = [await h.guest(t), await h.guest(t)];
    b.send({ op: "unsub", type: "request", id: "unsub-123", topics: [t] });
    assert.deepEqual(await b.take(() => true), { op: "unsub", type: "success", id: "unsub-123" });
    await a.pub([t], "after");
    await a.mesg();
    assert.ok(await b.quiet(100));
  });

  it("P/me gets what anyone publishes to P/<owner id>, named P/me", async () => {
    const [alice, bob] = [await h.guest("chats/me"), await h.guest()];
    await bob.pub([`chats/${alice.user.id}`], { text: "psst" });
    const m = await alice.mesg();
    assert.deepEqual(m.topics, ["chats/me"]);
    assert.deepEqual(m.sender, bob.user);
    assert.deepEqual(m.data, { text: "psst" });
    // Publishing to your own P/me is publishing to P/<your id>.
    await alice.pub(["chats/me"], "note to self");
    assert.equal((await alice.mesg()).data, "note to self");
    assert.ok(await bob.quiet(100));
  });

  it("only the owner subscribes to a personal topic: others get 403 naming it", async () => {
    const [alice, bob] = [await h.guest(), await h.guest()];
    const t = newTopic();
    const theirs = `chats/${alice.user.id}`;
    const reply = await bob.request("sub", { topics: [t, theirs] });
    assert.equal(reply.code, 403);
    assert.equal(reply.op, "sub");
    assert.match(reply.message, new RegExp(theirs));
    assert.deepEqual(reply.topics, [theirs]);
    // All or nothing: the permitted topic was not subscribed either.
    await alice.pub([t], "x");
    assert.ok(await bob.quiet(100));
    // The owner may also name it directly, and then frames name it that way.
    await alice.sub(theirs, "chats/me");
    await bob.pub([theirs], "hello");
    const names = [(await alice.mesg()).topics[0], (await alice.mesg()).topics[0]].sort();
    assert.deepEqual(names, ["chats/me", theirs].sort());
  });

  it("publishing to a presence topic is 403", async () => {
    const a = await h.guest();
    const t = newTopic();
    const reply = await a.request("pub", { topics: [`${t}/presence`], data: 1 });
    assert.equal(reply.code, 403);
    assert.deepEqual(reply.topics, [`${t}/presence`]);
  });

  it("data over 64 KiB is 413; exactly 64 KiB is fine", async () => {
    const t = newTopic();
    const a = await h.guest(t);
    const big = await a.request("pub", { topics: [t], data: "x".repeat(65_535) });
    assert.equal(big.code, 413);
    assert.equal(big.op, "pub");
    await a.pub([t], "x".repeat(65_534));
    assert.equal((await a.mesg()).data.length, 65_534);
    // A frame far past the limit is refused unread: there is no op or id to repeat.
    a.send({ op: "pub", type: "request", id: "huge", topics: [t], data: "x".repeat(200_000) });
    assert.deepEqual(await a.take(() => true), { op: null, type: "error", id: null, code: 413, message: "Payload Too Large" });
  });

  it("malformed requests are 400 and cost nobody else anything", async () => {
    const t = newTopic();
    const [a, b] = [await h.guest(t), await h.guest(t)];
    a.send("{not json");
    assert.deepEqual(await a.take(() => true), { op: null, type: "error", id: null, code: 400, message: "Bad Request: not a JSON object" });
    a.send([1, 2]);
    assert.equal((await a.take(() => true)).code, 400);
    const cases: Array<Record<string, unknown>> = [
      { op: "sub" },
      { op: "sub", topics: "t" },
      { op: "sub", topics: [] },
      { op: "sub", topics: ["a b"] },
      { op: "sub", topics: ["a//b"] },
      { op: "sub", topics: ["news.*"] },
      { op: "sub", topics: ["x".repeat(300)] },
      { op: "unsub", topics: [1] },
      { op: "pub", topics: [t] },
      { op: "pub", topics: [t], data: 1, type: "push" },
      { op: "nope", topics: [t] },
      { op: 5 },
    ];
    for (const [i, body] of cases.entries()) {
      a.send({ type: "request", id: `bad-${i}`, ...body });
      const reply = await a.take((f) => f.id === `bad-${i}`);
      assert.equal(reply.code, 400, JSON.stringify(body));
      assert.equal(reply.type, "error");
      assert.match(reply.message, /^Bad Request/);
    }
    await b.pub([t], "still fine");
    assert.equal((await a.mesg()).data, "still fine");
    assert.equal((await b.mesg()).data, "still fine");
  });
});

describe("pubsub flooding", () => {
  const h = pubsubServer({ limits: { messagesPerSecond: 1, burst: 5 } });

  it("frames beyond the rate are 429 with their op and id; the connection goes on", async () => {
    const t = newTopic();
    const a = await h.guest();
    for (let i = 0; i < 12; i++) a.send({ op: "pub", type: "request", id: `f${i}`, topics: [t], data: i });
    const replies = [];
    for (let i = 0; i < 12; i++) replies.push(await a.take((f) => f.id === `f${i}`));
    const limited = replies.filter((r) => r.code === 429);
    assert.ok(limited.length >= 6, `${limited.length} limited`);
    assert.deepEqual(limited[0], { op: "pub", type: "error", id: limited[0].id, code: 429, message: "Too Many Requests" });
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await a.request("pub", { topics: [t], data: "later" })).type, "success");
  });
});

describe("pubsub topic permissions from configuration", () => {
  const h = pubsubServer({ pubsub: { topics: { subscribe: ["news.*", "private/{user}/**", "*/me"], publish: ["news.*", "*/*"] } } });

  it("patterns with * (within a segment), ** (the rest) and {user}", async () => {
    const [a, b] = [await h.guest(), await h.guest()];
    await a.sub("news.sport", `private/${a.user.id}/inbox/urgent`);
    const refused = await a.request("sub", { topics: ["gossip", "news.a/b", `private/${b.user.id}/inbox`, "news.sport"] });
    assert.equal(refused.code, 403);
    assert.deepEqual(refused.topics, ["gossip", "news.a/b", `private/${b.user.id}/inbox`]);
    assert.equal((await a.request("pub", { topics: ["gossip"], data: 1 })).code, 403);
    await b.pub(["news.sport"], "goal");
    assert.equal((await a.mesg()).data, "goal");
  });
});

describe("pubsub: refusals keep request order", () => {
  const h = pubsubServer({ limits: { messagesPerSecond: 1, burst: 3 } });

  it("a 429 comes after the replies to the requests sent before it", async () => {
    const t = newTopic();
    const a = await h.guest(); // connect: 1 token
    a.send({ op: "pub", type: "request", id: "p1", topics: [t], data: 1 }); // stored: waits for a commit
    a.send({ op: "pub", type: "request", id: "p2", topics: [t], data: 2 });
    a.send({ op: "pub", type: "request", id: "p3", topics: [t], data: 3 }); // over the burst
    const replies: string[] = [];
    while (replies.length < 3) {
      const f = await a.take((x) => x.op === "pub" && (x.type === "success" || x.type === "error"));
      replies.push(`${f.id}:${f.type === "error" ? f.code : "ok"}`);
    }
    assert.deepEqual(replies, ["p1:ok", "p2:ok", "p3:429"]);
  });
});
