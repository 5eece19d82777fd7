import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { InstalkClient, login, register, type MsgEvent, type RoomEvent, type StateChange } from "../../src/client/instalk.js";
import { Gate, quickReconnect, RestartableServer, trackedWebSocket, uniqueName, until } from "../helpers/client-kit.js";

/** The bodies of the messages a client was given as `message` events, in the order it got them. */
function bodies(client: InstalkClient, room: string): string[] {
  const seen: string[] = [];
  client.on("message", (e: RoomEvent & { event: MsgEvent }) => e.room === room && seen.push(e.event.data.body));
  return seen;
}

describe("instalk client", () => {
  let s: RestartableServer;
  const clients: InstalkClient[] = [];
  const client = (opts: Partial<ConstructorParameters<typeof InstalkClient>[0]> = {}) => {
    const c = new InstalkClient({ url: s.url, reconnect: quickReconnect, ...opts });
    clients.push(c);
    return c;
  };

  before(async () => {
    s = await RestartableServer.start();
  });
  after(async () => {
    for (const c of clients) c.close();
    await s.dispose();
  });

  it("connects (ws loaded by itself), identifies, joins, chats, sees presence, typing and topic", async () => {
    const room = uniqueName("talk");
    const ann = client({ name: "Ann" + process.pid });
    const bob = client({ WebSocket });
    const annUser = await ann.connect();
    assert.equal(annUser.username, "Ann" + process.pid);
    const bobUser = await bob.connect();
    assert.match(bobUser.username, /^Guest-\d+$/);

    const first = await ann.join(room);
    assert.deepEqual(first, { members: [], messages: [], topic: "" });
    const annMembers = ann.next("members", { filter: (m) => m.room === room && m.members.length === 1 });
    const welcome = await bob.join(room);
    assert.deepEqual(welcome.members.map((m) => m.username), [annUser.username]);
    assert.equal((await annMembers).members[0].id, bobUser.id);

    const got = bob.next("message", { filter: (m) => m.room === room });
    const sent = await ann.send(room, "hello bob", { mentions: [bobUser.id] });
    assert.equal(sent.data.nr, 1);
    assert.equal(sent.data.sid, annUser.id);
    const heard = await got;
    assert.equal(heard.event.data.body, "hello bob");
    assert.equal(heard.recovered, false);
    assert.ok(ann.isOwn(sent.data.sid));

    const typing = ann.next("signal", { filter: (e) => e.room === room });
    bob.typing(room, true);
    assert.deepEqual(await typing, { room, sid: bobUser.id, signal: "bt" });

    const topic = bob.next("topic", { filter: (e) => e.room === room });
    await ann.setTopic(room, "plans");
    assert.equal((await topic).topic, "plans");
    assert.equal(bob.topic(room), "plans");

    assert.deepEqual((await bob.load(room, 3)).map((e) => e.o), ["msg", "set-room-topic"]);

    const gone = ann.next("presence", { filter: (p) => p.room === room && p.change === "left" });
    await bob.leave(room);
    assert.equal((await gone).change, "left");
    assert.deepEqual(ann.members(room), []);
  });

  it("rejects a request the server refuses with the server's code", async () => {
    const c = client();
    await c.connect();
    await assert.rejects(c.send(uniqueName("nowhere"), "x"), (err: Error & { code?: string }) => err.code === "room.not-joined");
    await assert.rejects(c.join("bad room!"), (err: Error & { code?: string }) => err.code === "room.invalid");
  });

  it("signs in with an account token and is verified", async () => {
    const name = `acct${process.pid}`;
    await register(s.url, { name, password: "correct horse" });
    const { accessToken } = await login(s.url, name, "correct horse");
    const c = client({ token: async () => accessToken });
    const user = await c.connect();
    assert.equal(user.username, name);
    assert.equal(user.verified, true);
  });

  it("a server restart mid-conversation: after reconnecting, the messages sent meanwhile arrive once, in order", async () => {
    const room = uniqueName("restart");
    const gate = new Gate();
    // The reader's reconnects pass through the gate, so the test decides when it comes back.
    const reader = client({ url: gate.guard(() => s.url), name: `Reader${process.pid}` });
    const writer = client();
    await Promise.all([reader.connect(), writer.connect()]);
    await Promise.all([reader.join(room), writer.join(room)]);
    const seen = bodies(reader, room);
    const states: StateChange["state"][] = [];
    reader.on("state", (c) => states.push(c.state));
    const recovered = reader.next("recovered", { filter: (e) => e.room === room, timeoutMs: 30_000 });

    for (let i = 1; i <= 5; i++) await writer.send(room, `m${i}`);
    await until(() => seen.length === 5, "the first five live");

    gate.close();
    await s.restart();
    await until(() => writer.state === "open", "the writer back on the new server");
    // 80 while the reader is away: more than a room-welcome's 50, so the reader must sync.
    for (let i = 6; i <= 85; i++) await writer.send(room, `m${i}`);
    assert.equal(reader.state, "reconnecting");
    gate.open();

    const caughtUp = await recovered;
    assert.ok(caughtUp.count >= 80, JSON.stringify(caughtUp));
    await writer.send(room, "m86");
    await until(() => seen.length >= 86, "every message at the reader", 30_000);
    assert.deepEqual(seen, Array.from({ length: 86 }, (_, i) => `m${i + 1}`));
    assert.ok(states.includes("reconnecting") && states.at(-1) === "open", states.join(","));
    // Identified again under its chosen name after the reconnect.
    assert.equal(reader.user?.username, `Reader${process.pid}`);
  });

  it("a network cut in the middle of a burst: the reader reconnects and misses nothing, twice nothing", async () => {
    const room = uniqueName("cut");
    const net = trackedWebSocket();
    const reader = client({ WebSocket: net.WebSocket });
    const writer = client();
    await Promise.all([reader.connect(), writer.connect()]);
    await reader.join(room);
    await writer.join(room);
    const seen = bodies(reader, room);
    const sent = Array.from({ length: 150 }, (_, i) => `b${i + 1}`);
    const sending = Promise.all(sent.map((b) => writer.send(room, b)));
    await until(() => seen.length >= 20, "the burst under way");
    net.cut();
    await sending;
    await until(() => seen.length >= sent.length, "the whole burst at the reader", 30_000);
    assert.deepEqual(seen, sent);
    assert.ok(net.sockets.length >= 2, "the reader opened a new socket");
  });
});
