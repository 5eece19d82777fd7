import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { anonymousToken, PubsubClient, type PubsubOptions } from "../../src/client/pubsub.js";
import { Gate, quickReconnect, RestartableServer, trackedWebSocket, uniqueName, until } from "../helpers/client-kit.js";

describe("pubsub client", () => {
  let s: RestartableServer;
  const clients: PubsubClient[] = [];
  const client = (opts: Partial<PubsubOptions> = {}, server = s) => {
    const c = new PubsubClient({ url: server.url, auth: { provider: "anonymous" }, reconnect: quickReconnect, ...opts });
    clients.push(c);
    return c;
  };
  /** The data of every message one client was given on `topic`, in order. */
  const heard = (c: PubsubClient, topic: string) => {
    const out: string[] = [];
    c.on("message", (m) => m.topic === topic && out.push(String(m.data)));
    return out;
  };

  before(async () => {
    s = await RestartableServer.start();
  });
  after(async () => {
    for (const c of clients) c.close();
    await s.dispose();
  });

  it("connects with a provider, subscribes, publishes, follows presence, and refuses with the server's status", async () => {
    const topic = uniqueName("feed");
    const token = (await anonymousToken(s.url)).accessToken;
    const a = client({ auth: { provider: "switchboard", access_token: token } });
    const b = client();
    const aUser = await a.connect();
    const bUser = await b.connect();
    const sub = await a.subscribe([topic, `${topic}/presence`]);
    assert.deepEqual(sub.topics, [topic, `${topic}/presence`]);
    assert.deepEqual(a.members(topic).map((u) => u.id), [aUser.id]);

    const joined = a.next("members", { filter: (m) => m.topic === topic && m.members.length === 2 });
    await b.subscribe(topic);
    assert.deepEqual((await joined).members.map((u) => u.id).sort(), [aUser.id, bUser.id].sort());

    const got = a.next("message", { filter: (m) => m.topic === topic });
    await b.publish(topic, { hello: "world" });
    const m = await got;
    assert.deepEqual(m.data, { hello: "world" });
    assert.equal(m.sender.id, bUser.id);

    const left = a.next("presence", { filter: (p) => p.topic === topic && p.type === "leave" });
    await b.unsubscribe(topic);
    assert.equal((await left).user.id, bUser.id);

    await assert.rejects(a.subscribe(`inbox/${bUser.id}`), (e: Error & { info?: { status?: number } }) => e.info?.status === 403);
    await assert.rejects(a.publish(`${topic}/presence`, 1), (e: Error & { info?: { status?: number } }) => e.info?.status === 403);
  });

  it("a server restart mid-conversation: the session resumes and the messages published meanwhile arrive once, in order", async () => {
    const topic = uniqueName("restart");
    const gate = new Gate();
    const reader = client({ url: gate.guard(() => s.url) });
    const writer = client();
    await Promise.all([reader.connect(), writer.connect()]);
    await reader.subscribe(topic);
    const got = heard(reader, topic);
    const sessions: boolean[] = [];
    reader.on("session", (e) => sessions.push(e.resumed));
    for (let i = 1; i <= 5; i++) await writer.publish(topic, `m${i}`);
    await until(() => got.length === 5, "five live");

    gate.close();
    await s.restart();
    await until(() => writer.state === "open", "the writer back");
    for (let i = 6; i <= 60; i++) await writer.publish(topic, `m${i}`);
    assert.equal(reader.state, "reconnecting");
    gate.open();
    await writer.publish(topic, "m61");
    await until(() => got.length >= 61, "every message at the reader", 30_000);
    assert.deepEqual(got, Array.from({ length: 61 }, (_, i) => `m${i + 1}`));
    assert.deepEqual(sessions, [true]);
  });

  it("a network cut in the middle of a burst: resume with `received` replays what died in flight, once", async () => {
    const topic = uniqueName("cut");
    const net = trackedWebSocket();
    const reader = client({ WebSocket: net.WebSocket });
    const writer = client();
    await Promise.all([reader.connect(), writer.connect()]);
    await reader.subscribe(topic);
    const got = heard(reader, topic);
    const sent = Array.from({ length: 150 }, (_, i) => `b${i + 1}`);
    const publishing = Promise.all(sent.map((b) => writer.publish(topic, b)));
    await until(() => got.length >= 20, "the burst under way");
    net.cut();
    await publishing;
    await until(() => got.length >= sent.length, "the whole burst", 30_000);
    assert.deepEqual(got, sent);
    assert.ok(net.sockets.length >= 2);
  });

  it("says plainly when the session cannot be resumed, and carries on in a new one", async () => {
    const small = await RestartableServer.start({ pubsub: { historySize: 10 } });
    try {
      const topic = uniqueName("lost");
      const gate = new Gate();
      const reader = client({ url: gate.guard(() => small.url) }, small);
      const writer = client({}, small);
      await Promise.all([reader.connect(), writer.connect()]);
      await reader.subscribe(topic);
      const got = heard(reader, topic);
      const lost = reader.next("session-lost", { timeoutMs: 30_000 });
      gate.close();
      // The reconnect must wait at the gate: cut the socket, then publish more than the topic keeps.
      reader.reconnectNow();
      for (let i = 1; i <= 30; i++) await writer.publish(topic, `x${i}`);
      gate.open();
      assert.equal((await lost).reason.info.status, 404);
      await until(() => reader.state === "open", "the reader in a new session");
      assert.deepEqual(reader.subscribed(), [topic]);
      await writer.publish(topic, "after");
      await until(() => got.includes("after"), "live again in the new session");
      assert.deepEqual(got, ["after"]);
    } finally {
      await small.dispose();
    }
  });
});
