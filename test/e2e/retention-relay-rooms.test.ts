// A room's retention belongs to the room, not to the dialect that writes: a
// room relay has entered keeps no content, so instalk and really refuse to
// store into it (403 room.no-retention, in their own words), its relay
// members are not left out of a conversation they cannot see, and nothing of
// it reaches the store.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { initialised, type Peer } from "../helpers/instalk.js";
import { ReallyClient, assertRefused } from "../helpers/really.js";
import { RelayPeer, type SessionKey } from "../helpers/relay.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";

type Frame = { [key: string]: any };

describe("a room relay uses stores no content, whichever dialect writes", () => {
  let t: TestServer;
  const open: TestClient[] = [];
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    for (const c of open) c.terminate();
    await t.stop();
  });

  async function socket(path: string): Promise<TestClient> {
    const c = await TestClient.connect(t.ws(path));
    open.push(c);
    return c;
  }

  const instalk = async (): Promise<Peer> => initialised(await socket("/websocket"));

  async function relay(): Promise<RelayPeer> {
    const res = await fetch(`${t.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ anonymous: true }) });
    const session = (await res.json()) as SessionKey;
    return new RelayPeer(await socket(`/relay?key=${encodeURIComponent(session.key)}`), session);
  }

  async function really(): Promise<ReallyClient> {
    const token = ((await (await fetch(`${t.url}/auth/anonymous/`, { method: "POST" })).json()) as { accessToken: string }).accessToken;
    const c = new ReallyClient(await socket("/v0.1/socket"));
    await c.initialize(token);
    return c;
  }

  /** What the store holds for the room, as a late instalk joiner sees it. */
  async function stored(room: string): Promise<Frame[]> {
    const late = await instalk();
    await late.join(room);
    const sync = await late.history(room, "sync", { from: 1 });
    await late.close();
    return sync.messages as Frame[];
  }

  it("instalk's msg into a relay room is refused with 403 room.no-retention; relay members hear nothing and nothing is stored", async () => {
    const room = randomUUID();
    const r = await relay();
    await r.entered(room);
    const i = await instalk();
    await i.join(room);
    await r.drain();
    i.say(room, "this would be kept");
    assert.deepEqual(await i.op(room, "msg"), { r: room, o: "msg", error: { code: 403, msg: "room.no-retention" } });
    // Ephemeral signals are not content: they still pass (typing).
    i.send({ r: room, o: "bt" });
    await i.drain();
    assert.deepEqual((await r.drain()).filter((f) => f.type === "message"), [], "no relay member got a message");
    assert.deepEqual(await stored(room), []);
    // relay itself goes on relaying, to relay members, without storing.
    const r2 = await relay();
    await r2.entered(room);
    await r.drain();
    r.say(room, "relayed, never kept");
    assert.equal((await r2.of("message")).content, "relayed, never kept");
    assert.deepEqual(await stored(room), []);
  });

  it("the room stays unstored after relay leaves, and instalk's topic change is refused too", async () => {
    const room = randomUUID();
    const r = await relay();
    await r.entered(room);
    r.send({ type: "exit", room_id: room });
    await r.drain();
    const i = await instalk();
    await i.join(room);
    i.say(room, "still not kept");
    assert.equal((await i.op(room, "msg")).error.msg, "room.no-retention");
    i.send({ r: room, o: "set-room-topic", data: { topic: "kept?" } });
    assert.deepEqual(await i.op(room, "set-room-topic"), { r: room, o: "set-room-topic", error: { code: 403, msg: "room.no-retention" } });
    assert.equal((await i.join(room)).topic, "", "the topic did not change");
    assert.deepEqual(await stored(room), []);
  });

  it("really's message create into a relay room is 403 room.no-retention, and its history stays empty", async () => {
    const room = randomUUID();
    const r = await relay();
    await r.entered(room);
    const c = await really();
    const reply = await c.request("create", { r: `/rooms/${room}/messages/`, body: { body: "into the void" } });
    assertRefused(reply, 403, "room.no-retention");
    const read = await c.request("read", { r: `/rooms/${room}/messages/` });
    assert.deepEqual(read.body.items, []);
    assert.deepEqual((await r.drain()).filter((f) => f.type === "message"), []);
  });

  it("a rename is still announced in the user's other rooms; the relay room gets no stored event", async () => {
    const relayRoom = randomUUID();
    const plainRoom = `plain-${process.pid}-${Date.now()}`;
    const r = await relay();
    await r.entered(relayRoom);
    const i = await instalk();
    await i.join(relayRoom);
    await i.join(plainRoom);
    const name = `Renamed${process.pid % 1000}`;
    i.send({ identity: name });
    const reply = await i.waitFor((f) => "identified" in f);
    assert.equal(reply.identified, true, JSON.stringify(reply));
    const info = await i.op(plainRoom, "set-user-info");
    assert.equal(info.data.user.username, name);
    assert.deepEqual(await stored(relayRoom), []);
    assert.equal((await stored(plainRoom)).length, 1);
  });

  it("what a room stored before relay first entered it stays (relay never reads history)", async () => {
    const room = randomUUID();
    const i = await instalk();
    await i.join(room);
    await i.said(room, "before relay");
    const r = await relay();
    await r.entered(room);
    i.say(room, "after relay");
    assert.equal((await i.op(room, "msg")).error.msg, "room.no-retention");
    assert.deepEqual((await stored(room)).map((m) => m.data.body), ["before relay"]);
  });
});
