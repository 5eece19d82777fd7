import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startTestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";
import { newTopic, pubsubServer, unthrottled, PubsubClient, type Frame, type PubsubHarness } from "../helpers/pubsub.js";

/** Resumes `session` on a new socket; the reply must be the first frame. */
async function resumeOn(h: PubsubHarness, session: string): Promise<{ c: PubsubClient; reply: Frame }> {
  const c = await h.client();
  c.send({ op: "resume", type: "request", id: "abc123", session });
  const reply = await c.take(() => true);
  return { c, reply };
}

/** Publishes `values` to `topic`, each acknowledged before the next. */
async function publishAll(p: PubsubClient, topic: string, values: unknown[]): Promise<void> {
  for (const v of values) await p.pub([topic], v);
}

describe("pubsub resume", () => {
  const h = pubsubServer(unthrottled);

  it("an unknown session is 404 session expired", async () => {
    const c = await h.client();
    c.send({ op: "resume", id: "abc123", session: "xxxxxxyyyy" });
    assert.deepEqual(await c.take(() => true), { op: "resume", type: "error", id: "abc123", code: 404, message: "session expired" });
    await c.connect("anonymous");
  });

  it("resume as the first op restores the subscriptions, replays what was missed in order, then goes live", async () => {
    const t = newTopic();
    const a = await h.guest();
    const b = await h.guest(t);
    await publishAll(a, t, ["seen"]);
    await b.mesg();
    await b.close();
    await publishAll(a, t, [1, 2, 3]);
    const { c, reply } = await resumeOn(h, b.session);
    assert.deepEqual(reply, { op: "resume", type: "success", id: "abc123", session: b.session, user: b.user, topics: [t] });
    const replayed = [await c.mesg(), await c.mesg(), await c.mesg()];
    assert.deepEqual(replayed.map((m) => m.data), [1, 2, 3]);
    assert.deepEqual(replayed[0].sender, a.user);
    await a.pub([t], 4);
    assert.equal((await c.mesg()).data, 4);
    assert.ok(await c.quiet(100));
    // Resumed sessions act as their user.
    await c.pub([t], "from c");
    assert.deepEqual((await c.mesg()).sender, b.user);
  });

  it("with publishing going on throughout, old socket + resumed socket see every message once, in order", async () => {
    const t = newTopic();
    const a = await h.guest();
    const b = await h.guest(t);
    const total = 400;
    let stop = false;
    const publishing = (async () => {
      for (let i = 0; i < total && !stop; i++) {
        a.send({ op: "pub", type: "request", id: `p${i}`, topics: [t], data: { i } });
        if (i % 4 === 3) await new Promise((r) => setTimeout(r, 3));
      }
    })();
    const before: Frame[] = [];
    while (before.length < 60) before.push(await b.mesg());
    await b.close();
    for (const text of b.c.frames.splice(0)) before.push(JSON.parse(text) as Frame);
    before.push(...b.inbox.splice(0));
    const { c, reply } = await resumeOn(h, b.session);
    assert.equal(reply.type, "success", JSON.stringify(reply));
    const afterwards: Frame[] = [];
    try {
      while (afterwards.at(-1)?.data.i !== total - 1) afterwards.push(await c.mesg(undefined, 5000));
    } finally {
      stop = true;
      await publishing;
    }
    const all = [...before.filter((f) => f.op === "mesg"), ...afterwards].map((m) => m.data.i);
    assert.ok(afterwards.length > 0 && before.length > 0);
    assert.deepEqual(all, Array.from({ length: total }, (_, i) => i));
    const ids = [...before, ...afterwards].filter((f) => f.op === "mesg").map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(await c.quiet(100));
  });

  it("the resumed session id stays valid for a later resume", async () => {
    const t = newTopic();
    const a = await h.guest();
    const b = await h.guest(t);
    await b.close();
    await publishAll(a, t, ["m1"]);
    const first = await resumeOn(h, b.session);
    assert.equal(first.reply.session, b.session);
    assert.equal((await first.c.mesg()).data, "m1");
    await a.pub([t], "m2");
    assert.equal((await first.c.mesg()).data, "m2");
    await first.c.close();
    await publishAll(a, t, ["m3"]);
    const second = await resumeOn(h, b.session);
    assert.equal(second.reply.type, "success");
    assert.equal((await second.c.mesg()).data, "m3");
    assert.ok(await second.c.quiet(100));
  });

  it("personal and presence subscriptions come back too, and the user joins again", async () => {
    const t = newTopic();
    const a = await h.guest(`${t}/presence`);
    const b = await h.guest(t, "inbox/me", `${t}/presence`);
    await a.pres("join", b.user.id, t);
    await b.close();
    await a.pres("leave", b.user.id, t);
    await a.pub([`inbox/${b.user.id}`], "dm");
    const { c, reply } = await resumeOn(h, b.session);
    assert.deepEqual([...reply.topics].sort(), [t, "inbox/me", `${t}/presence`].sort());
    assert.deepEqual(reply.members, []);
    const dm = await c.mesg();
    assert.deepEqual([dm.topics, dm.data], [["inbox/me"], "dm"]);
    await a.pres("join", b.user.id, t);
    await c.pres("join", b.user.id, t);
  });

  it("resuming a session whose connection is still open takes it over", async () => {
    const t = newTopic();
    const a = await h.guest();
    const b = await h.guest(t);
    await publishAll(a, t, ["before"]);
    await b.mesg();
    const { c, reply } = await resumeOn(h, b.session);
    assert.equal(reply.type, "success");
    const closed = await b.c.waitClose();
    assert.deepEqual(closed, { code: 1000, reason: "session resumed elsewhere" });
    await a.pub([t], "after");
    assert.equal((await c.mesg()).data, "after");
    assert.ok(await c.quiet(100), "the message b already had came again");
  });

  it("resume after connect is 400; a malformed resume is 400", async () => {
    const c = await h.guest();
    assert.equal((await c.request("resume", { session: c.session })).code, 400);
    const d = await h.client();
    assert.equal((await d.request("resume", { session: 5 })).code, 400);
  });
});

describe("pubsub resume past the history window", () => {
  const h = pubsubServer({ ...unthrottled, pubsub: { historySize: 5 } });

  it("missed messages all held: success; one more than the window: 404 and nothing else", async () => {
    const t = newTopic();
    const a = await h.guest();
    const b = await h.guest(t);
    await b.close();
    await publishAll(a, t, [1, 2, 3, 4, 5]);
    const ok = await resumeOn(h, b.session);
    assert.equal(ok.reply.type, "success");
    for (const i of [1, 2, 3, 4, 5]) assert.equal((await ok.c.mesg()).data, i);
    await ok.c.close();
    await publishAll(a, t, [6, 7, 8, 9, 10, 11]);
    const late = await resumeOn(h, b.session);
    assert.deepEqual(late.reply, { op: "resume", type: "error", id: "abc123", code: 404, message: "session expired" });
    assert.ok(await late.c.quiet(150), "a partial replay was sent");
    await late.c.connect("anonymous");
  });

  it("a failed resume leaves the topics it attached to", async () => {
    const t = newTopic();
    const a = await h.guest();
    const b = await h.guest(t);
    await b.close();
    await publishAll(a, t, [1, 2, 3, 4, 5, 6, 7]);
    const late = await resumeOn(h, b.session);
    assert.equal(late.reply.code, 404);
    await late.c.connect("anonymous");
    await a.pub([t], "live");
    assert.ok(await late.c.quiet(150));
  });
});

describe("pubsub session and history lifetimes", () => {
  const h = pubsubServer({ pubsub: { sessionTtlMs: 400, historyAgeMs: 250 } });

  it("a session is gone sessionTtlMs after its connection closed", async () => {
    const b = await h.guest(newTopic());
    await b.close();
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await resumeOn(h, b.session)).reply.code, 404);
  });

  it("a live session does not expire", async () => {
    const b = await h.guest(newTopic());
    await new Promise((r) => setTimeout(r, 700));
    const { reply } = await resumeOn(h, b.session);
    assert.equal(reply.type, "success");
  });

  it("messages older than historyAgeMs are not replayed: 404", async () => {
    const t = newTopic();
    const a = await h.guest();
    const b = await h.guest(t);
    await b.close();
    await a.pub([t], "old");
    await new Promise((r) => setTimeout(r, 320));
    assert.equal((await resumeOn(h, b.session)).reply.code, 404);
  });
});

describe("pubsub sessions live in the store", () => {
  it("a session recorded by one server process is resumed by the next on the same data", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sb-pubsub-"));
    try {
      const first = await startTestServer({}, dir);
      const t = newTopic();
      const b = new PubsubClient(await TestClient.connect(first.ws("/pubsub")));
      await b.connect("anonymous");
      await b.sub(t);
      await first.stop();
      const second = await startTestServer({}, dir);
      try {
        const a = new PubsubClient(await TestClient.connect(second.ws("/pubsub")));
        await a.connect("anonymous");
        await a.pub([t], "while you were away");
        const c = new PubsubClient(await TestClient.connect(second.ws("/pubsub")));
        const reply = await c.request("resume", { session: b.session });
        assert.equal(reply.type, "success", JSON.stringify(reply));
        assert.equal((await c.mesg()).data, "while you were away");
        await Promise.all([a.close(), c.close()]);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("pubsub shutdown records every session before the store closes", () => {
  it("a client that never answers the close: its final cursors are kept, so after a restart resume is prompt and replays nothing twice", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sb-pubsub-"));
    try {
      const first = await startTestServer({}, dir);
      const t = newTopic();
      const a = new PubsubClient(await TestClient.connect(first.ws("/pubsub")));
      await a.connect("anonymous");
      const b = new PubsubClient(await TestClient.connect(first.ws("/pubsub")));
      await b.connect("anonymous");
      await b.sub(t);
      await publishAll(a, t, [1, 2, 3]);
      assert.deepEqual([(await b.mesg()).data, (await b.mesg()).data, (await b.mesg()).data], [1, 2, 3]);
      await a.close();
      // b's client stops reading: the server's close frame is never answered.
      (b.c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      await first.stop();
      b.c.terminate();
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(
        first.logs.filter((l) => Number(l.level) >= 50).map((l) => l.msg),
        [],
        "no session failed to record itself",
      );
      const second = await startTestServer({}, dir);
      try {
        const p = new PubsubClient(await TestClient.connect(second.ws("/pubsub")));
        await p.connect("anonymous");
        await p.pub([t], 4);
        const c = new PubsubClient(await TestClient.connect(second.ws("/pubsub")));
        const started = Date.now();
        const reply = await c.request("resume", { session: b.session });
        const took = Date.now() - started;
        assert.equal(reply.type, "success", JSON.stringify(reply));
        assert.ok(took < 1000, `resume took ${took} ms: the session was still marked live`);
        assert.equal((await c.mesg()).data, 4);
        assert.ok(await c.quiet(150), `nothing replayed twice: ${JSON.stringify(c.inbox)}`);
        await Promise.all([p.close(), c.close()]);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("pubsub resume with the client's own cursor", () => {
  const h = pubsubServer(unthrottled);

  it("`received` replays what the server wrote but the client never read (lost in flight), once each", async () => {
    const t = newTopic();
    const a = await h.guest();
    const b = await h.guest(t);
    await publishAll(a, t, ["read-1", "read-2"]);
    const last = await b.mesg((m) => m.data === "read-1").then(() => b.mesg((m) => m.data === "read-2"));
    // b's link stalls: the server keeps writing, nothing is read, then the connection dies.
    (b.c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await publishAll(a, t, ["lost-1", "lost-2", "lost-3"]);
    await new Promise((r) => setTimeout(r, 50));
    b.c.terminate();
    await new Promise((r) => setTimeout(r, 100));
    const c = await h.client();
    c.send({ op: "resume", type: "request", id: "r1", session: b.session, received: { [t]: last.id } });
    const reply = await c.take((f) => f.op === "resume");
    assert.equal(reply.type, "success", JSON.stringify(reply));
    const replayed = [await c.mesg(), await c.mesg(), await c.mesg()];
    assert.deepEqual(replayed.map((m) => m.data), ["lost-1", "lost-2", "lost-3"]);
    assert.ok(await c.quiet(150), "nothing twice");
  });

  it("a `received` id beyond what was sent, or not an id, cannot skip messages", async () => {
    const t = newTopic();
    const a = await h.guest();
    const b = await h.guest(t);
    await b.close();
    await publishAll(a, t, [1, 2]);
    const c = await h.client();
    c.send({ op: "resume", type: "request", id: "r2", session: b.session, received: { [t]: "999999.x" } });
    assert.equal((await c.take((f) => f.op === "resume")).type, "success");
    assert.deepEqual([(await c.mesg()).data, (await c.mesg()).data], [1, 2]);
    const d = await h.client();
    d.send({ op: "resume", type: "request", id: "r3", session: c.session ?? b.session, received: { [t]: 5 } });
    assert.equal((await d.take((f) => f.op === "resume")).code, 400, "received values are push id strings");
  });
});
