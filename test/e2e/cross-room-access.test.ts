import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newRoom, relayServer } from "../helpers/relay.js";

/** Room permissions are the core's: what a relay administrator decides holds for an instalk client too. */
describe("room access across dialects", () => {
  const h = relayServer();

  async function instalk(query = "") {
    const c = await h.connect(`/websocket${query}`);
    c.send({ v: "0.1" });
    const welcome = await c.waitFor((f) => f.welcome === 1);
    return { c, id: (welcome.user as { id: string }).id };
  }

  it("an instalk client cannot join a room a relay administrator closed", async () => {
    const admin = await h.peer();
    const room = newRoom();
    await admin.entered(room);
    admin.send({ type: "close", key: admin.key, room_id: room });
    await admin.quiet();
    const { c } = await instalk();
    c.send({ r: room, o: "join" });
    assert.deepEqual(await c.next(), { r: room, o: "join-failed", reason: { code: "room.closed" } });
  });

  it("an instalk client banned by a relay administrator is refused with room.banned", async () => {
    const admin = await h.peer();
    const room = newRoom();
    await admin.entered(room);
    const anon = (await (await fetch(`${h.t.url}/auth/anonymous/`, { method: "POST" })).json()) as { accessToken: string };
    const { c, id } = await instalk(`?token=${anon.accessToken}`);
    admin.send({ type: "kick", key: admin.key, room_id: room, user_id: id, permanent: true });
    await admin.quiet();
    c.send({ r: room, o: "join" });
    assert.deepEqual(await c.next(), { r: room, o: "join-failed", reason: { code: "room.banned" } });
  });

  it("a relay kick takes an instalk member out: it is told, the others see it leave, its next msg is refused", async () => {
    const admin = await h.peer();
    const room = newRoom();
    await admin.entered(room);
    const anon = (await (await fetch(`${h.t.url}/auth/anonymous/`, { method: "POST" })).json()) as { accessToken: string };
    const victim = await instalk(`?token=${anon.accessToken}`);
    victim.c.send({ r: room, o: "join" });
    await victim.c.waitFor((f) => f.o === "room-welcome");
    const other = await instalk();
    other.c.send({ r: room, o: "join" });
    await other.c.waitFor((f) => f.o === "room-welcome");
    admin.send({ type: "kick", key: admin.key, room_id: room, user_id: victim.id, permanent: true });
    assert.deepEqual(await victim.c.waitFor((f) => f.o === "room-bye"), { r: room, o: "room-bye", reason: { code: "room.banned" } });
    const left = await other.c.waitFor((f) => f.r === room && f.o === "left");
    assert.equal((left.data as { user: { id: string } }).user.id, victim.id);
    victim.c.send({ r: room, o: "msg", data: { body: "after the ban" } });
    assert.deepEqual(await victim.c.next(), { r: room, o: "msg", error: { code: 404, msg: "room.not-joined" } });
    assert.ok(await other.c.silentFor(100), "nothing from the banned user reached the room");
  });

  it("an instalk room stays open to everyone: its first joiner does not lock others out", async () => {
    const room = `open-${Date.now()}`;
    const a = await instalk();
    a.c.send({ r: room, o: "join" });
    await a.c.waitFor((f) => f.o === "room-welcome");
    const b = await instalk();
    b.c.send({ r: room, o: "join" });
    assert.equal((await b.c.waitFor((f) => f.r === room)).o, "room-welcome");
  });
});
