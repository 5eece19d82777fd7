import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newTopic, pubsubServer, type PubsubClient } from "../helpers/pubsub.js";

describe("pubsub presence", () => {
  const h = pubsubServer({ pubsub: { presenceSweepMs: 200 } });

  /** Both sockets of one account: the same switchboard token twice. */
  async function twoSockets(): Promise<[PubsubClient, PubsubClient]> {
    const { token } = await h.anonymousToken();
    const a = await h.client();
    const b = await h.client();
    await a.connect("switchboard", token);
    await b.connect("switchboard", token);
    assert.equal(a.user.id, b.user.id);
    return [a, b];
  }

  it("subscribing T joins T's presence; unsub leaves it", async () => {
    const t = newTopic();
    const watcher = await h.guest();
    const reply = await watcher.sub(`${t}/presence`);
    assert.deepEqual(reply.members, []);
    const a = await h.guest(t);
    const join = await watcher.pres("join", a.user.id, t);
    assert.deepEqual(Object.keys(join), ["op", "type", "id", "topics", "sender"]);
    assert.deepEqual(join.sender, a.user);
    assert.equal(typeof join.id, "string");
    await a.ok("unsub", { topics: [t] });
    const leave = await watcher.pres("leave", a.user.id, t);
    assert.notEqual(leave.id, join.id);
    assert.ok(await watcher.quiet(100));
  });

  it("sub to T/presence answers with the current members, one per user", async () => {
    const t = newTopic();
    const [a1, a2] = await twoSockets();
    await a1.sub(t);
    await a2.sub(t);
    const b = await h.guest(t);
    const reply = await (await h.guest()).sub(`${t}/presence`);
    assert.deepEqual(reply.topics, [`${t}/presence`]);
    const ids = reply.members.map((m: { id: string }) => m.id).sort();
    assert.deepEqual(ids, [a1.user.id, b.user.id].sort());
    assert.deepEqual(reply.members.find((m: { id: string }) => m.id === b.user.id), b.user);
  });

  it("a user with two connections joins once and leaves once", async () => {
    const t = newTopic();
    const watcher = await h.guest(`${t}/presence`);
    const [a1, a2] = await twoSockets();
    await a1.sub(t);
    await watcher.pres("join", a1.user.id, t);
    await a2.sub(t);
    assert.ok(await watcher.quiet(150), "second connection joined again");
    await a1.close();
    assert.ok(await watcher.quiet(150), "left while a connection remained");
    await a2.close();
    await watcher.pres("leave", a1.user.id, t);
    assert.ok(await watcher.quiet(150));
  });

  it("an abrupt close leaves at once", async () => {
    const t = newTopic();
    const watcher = await h.guest(`${t}/presence`);
    const a = await h.guest(t);
    await watcher.pres("join", a.user.id, t);
    const started = Date.now();
    a.c.terminate();
    await watcher.pres("leave", a.user.id, t, 1000);
    assert.ok(Date.now() - started < 500);
  });

  it("members whose node died (their broker entries gone) leave within the sweep", async () => {
    const t = newTopic();
    const watcher = await h.guest(`${t}/presence`);
    const a = await h.guest(t);
    await watcher.pres("join", a.user.id, t);
    // What an expiring broker does to a dead node's entries: they vanish, and nobody says so.
    const broker = h.t.server.core.broker;
    for (const entry of await broker.presence.list(`topic:${t}`)) await broker.presence.remove(`topic:${t}`, entry.key);
    const leave = await watcher.pres("leave", a.user.id, t, 1500);
    assert.deepEqual(leave.topics, [t]);
    // A late real leave (the connection closing) is not announced twice.
    await a.close();
    assert.ok(await watcher.quiet(400));
  });

  it("presence of several topics in one sub: members across them, and each topic's own", async () => {
    const [t1, t2] = [newTopic(), newTopic()];
    const a = await h.guest(t1);
    const b = await h.guest(t1, t2);
    const reply = await (await h.guest()).sub(`${t1}/presence`, `${t2}/presence`);
    assert.deepEqual(reply.members.map((m: { id: string }) => m.id).sort(), [a.user.id, b.user.id].sort());
    assert.deepEqual(reply.presence[`${t2}/presence`], [b.user]);
    assert.equal(reply.presence[`${t1}/presence`].length, 2);
  });

  it("a watcher sees its own joins too, and presence ops need no subscription to T", async () => {
    const t = newTopic();
    const a = await h.guest(`${t}/presence`);
    await a.sub(t);
    await a.pres("join", a.user.id, t);
  });
});
