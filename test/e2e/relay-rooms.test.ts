import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newRoom, relayServer, type Frame } from "../helpers/relay.js";

describe("relay rooms: enter and exit", () => {
  const h = relayServer({ relay: { maxRoomsPerConnection: 3 } });

  it("enter and exit reach the other members once per user, however many sockets it has", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    const [b1, b2] = await h.tabs(2);
    await b1.entered(r);
    assert.deepEqual(await a.drain(), [{ type: "enter", user_id: b1.userId, room_id: r }]);
    await b2.entered(r);
    assert.deepEqual(await a.drain(), [], "a second socket of the same user announces nothing");
    b1.send({ type: "exit", room_id: r });
    await b1.quiet();
    assert.deepEqual(await a.drain(), [], "the user is still in on its other socket");
    b2.send({ type: "exit", room_id: r });
    await b2.quiet();
    assert.deepEqual(await a.drain(), [{ type: "exit", user_id: b1.userId, room_id: r }]);
  });

  it("a disconnect is an exit once the user's last socket in the room is gone", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    const [b1, b2] = await h.tabs(2);
    await b1.entered(r);
    await b2.entered(r);
    await a.drain();
    await b1.close();
    assert.deepEqual(await a.drain(), []);
    await b2.close();
    assert.deepEqual(await a.of("exit"), { type: "exit", user_id: b1.userId, room_id: r });
  });

  it("entering a room the socket is already in changes nothing and announces nothing", async () => {
    const r = newRoom();
    const [a, b] = await h.members(r, 2);
    await b.entered(r);
    assert.deepEqual(await a.drain(), []);
  });

  it("exit from a room the socket is not in is refused with room.not-member", async () => {
    const p = await h.peer();
    p.send({ type: "exit", room_id: newRoom() });
    await p.refused("room.not-member", "exit");
  });

  it("room and user ids that are not UUIDs are refused with uuid.invalid, whatever the request", async () => {
    const p = await h.peer();
    const r = newRoom();
    await p.refusesEach(
      [
        { type: "enter", room_id: "lobby" },
        { type: "exit", room_id: "" },
        { type: "message", key: p.key, content: "x", room_id: `${r}x` },
        { type: "read", message_id: 1, room_id: "1" },
        { type: "invite", key: p.key, user_id: "bob", room_id: r },
        { type: "kick", key: p.key, user_id: p.userId, room_id: "r", permanent: false },
        { type: "close", key: p.key, room_id: "{}" },
        { type: "open", key: p.key, room_id: r.replaceAll("-", "") },
      ],
      "uuid.invalid",
    );
  });

  it("UUIDs are case-insensitive: an upper-case room id is the same room", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    const b = await h.peer();
    await b.entered(r.toUpperCase());
    assert.deepEqual(await a.drain(), [{ type: "enter", user_id: b.userId, room_id: r }]);
  });

  it("a socket may be in at most relay.maxRoomsPerConnection rooms", async () => {
    const p = await h.peer();
    for (let i = 0; i < 3; i++) await p.entered(newRoom());
    p.enter(newRoom());
    await p.refused("rooms.too-many", "enter");
  });
});

describe("relay rooms: messages and read receipts", () => {
  const h = relayServer();

  it("a message reaches every member, sender included, with time, content, user_id, message_id and room_id", async () => {
    const r = newRoom();
    const peers = await h.members(r, 3);
    const before = Date.now() / 1000;
    peers[1].say(r, "hello, room");
    for (const p of peers) {
      const m = await p.of("message");
      assert.deepEqual(Object.keys(m).sort(), ["content", "message_id", "room_id", "time", "type", "user_id"]);
      assert.deepEqual({ ...m, time: 0 }, { type: "message", time: 0, content: "hello, room", user_id: peers[1].userId, message_id: 1, room_id: r });
      assert.ok(m.time >= Math.floor(before) && m.time <= Date.now() / 1000 + 1, `time ${m.time} is UNIX seconds`);
    }
  });

  it("message_id counts 1, 2, 3… per room, without gaps, whoever sends", async () => {
    const [r1, r2] = [newRoom(), newRoom()];
    const [a, b] = await h.members(r1, 2);
    await a.entered(r2);
    for (let i = 0; i < 10; i++) (i % 2 ? a : b).say(r1, `m${i}`);
    a.say(r2, "other room");
    const seen: Frame[] = [];
    while (seen.length < 11) seen.push(await a.of("message"));
    assert.deepEqual(seen.filter((m) => m.room_id === r1).map((m) => m.message_id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(seen.filter((m) => m.room_id === r2).map((m) => m.message_id), [1]);
  });

  it("a message from a socket not in the room is refused with room.not-member and uses no message_id", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    const outsider = await h.peer();
    outsider.say(r, "let me in");
    await outsider.refused("room.not-member", "message");
    // Another socket of a member is not in the room until it enters itself.
    const tab = await h.peer(a.session);
    tab.say(r, "from the other tab");
    await tab.refused("room.not-member", "message");
    a.say(r, "first");
    assert.equal((await a.of("message")).message_id, 1);
    assert.deepEqual(await a.drain(), []);
  });

  it("a message or invite carrying another key is refused with key.mismatch and not relayed", async () => {
    const r = newRoom();
    const [a, b] = await h.members(r, 2);
    a.say(r, "spoofed", { key: b.key });
    await a.refused("key.mismatch", "message");
    a.send({ type: "invite", key: "made-up", user_id: b.userId, room_id: r });
    await a.refused("key.mismatch", "invite");
    for (const type of ["close", "open"]) {
      a.send({ type, key: b.key, room_id: r });
      await a.refused("key.mismatch", type);
    }
    a.send({ type: "kick", key: b.key, user_id: b.userId, room_id: r, permanent: false });
    await a.refused("key.mismatch", "kick");
    assert.deepEqual(await b.drain(), [], "nothing reached the room");
    b.say(r, "real");
    assert.equal((await b.of("message")).message_id, 1, "the refused message used no message_id");
  });

  it("an empty content is refused with frame.invalid", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    a.say(r, "");
    await a.refused("frame.invalid", "message");
  });

  it("read is relayed to the room as a receipt naming the reader", async () => {
    const r = newRoom();
    const [a, b] = await h.members(r, 2);
    a.say(r, "read me");
    await a.of("message");
    await b.of("message");
    b.send({ type: "read", message_id: 1, room_id: r });
    const receipt = { type: "read", message_id: 1, user_id: b.userId, room_id: r };
    assert.deepEqual(await a.of("read"), receipt);
    assert.deepEqual(await b.of("read"), receipt);
  });

  it("read from a socket not in the room, or of a message_id never given, is refused", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    const outsider = await h.peer();
    outsider.send({ type: "read", message_id: 1, room_id: r });
    await outsider.refused("room.not-member", "read");
    a.send({ type: "read", message_id: 1, room_id: r });
    await a.refused("message.unknown", "read");
    a.say(r, "one");
    await a.of("message");
    a.send({ type: "read", message_id: 2, room_id: r });
    await a.refused("message.unknown", "read");
  });

  it("after exit a socket no longer receives the room's messages", async () => {
    const r = newRoom();
    const [a, b] = await h.members(r, 2);
    b.send({ type: "exit", room_id: r });
    await b.quiet();
    a.say(r, "gone?");
    await a.of("message");
    assert.deepEqual(await b.drain(), []);
  });
});
