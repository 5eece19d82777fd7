import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newRoom, relayServer, type RelayPeer } from "../helpers/relay.js";

const close = (p: RelayPeer, room_id: string) => p.send({ type: "close", key: p.key, room_id });
const open = (p: RelayPeer, room_id: string) => p.send({ type: "open", key: p.key, room_id });
const invite = (p: RelayPeer, room_id: string, user_id: string) => p.send({ type: "invite", key: p.key, user_id, room_id });
const kick = (p: RelayPeer, room_id: string, user_id: string, permanent: boolean, message?: string) =>
  p.send({ type: "kick", key: p.key, user_id, room_id, permanent, ...(message === undefined ? {} : { message }) });

describe("relay admin: closed and open rooms", () => {
  const h = relayServer();

  it("the creator closes its room: others are then refused with room.closed; reopened, they enter", async () => {
    const r = newRoom();
    const [admin] = await h.members(r, 1);
    close(admin, r);
    await admin.quiet();
    const guest = await h.peer();
    guest.enter(r);
    await guest.refused("room.closed", "enter");
    open(admin, r);
    await admin.quiet();
    await guest.entered(r);
    assert.deepEqual(await admin.drain(), [{ type: "enter", user_id: guest.userId, room_id: r }]);
  });

  it("closing changes who may enter next, not who is inside; the admin itself always gets in", async () => {
    const r = newRoom();
    const [admin, inside] = await h.members(r, 2);
    close(admin, r);
    await admin.quiet();
    inside.say(r, "still here");
    assert.equal((await admin.of("message")).content, "still here");
    await admin.close();
    const again = await h.peer(admin.session);
    await again.entered(r);
  });

  it("close and open by a non-administrator are refused with room.not-admin and change nothing", async () => {
    const r = newRoom();
    const [admin, member] = await h.members(r, 2);
    close(member, r);
    await member.refused("room.not-admin", "close");
    const newcomer = await h.peer();
    await newcomer.entered(r);
    await member.drain();
    close(admin, r);
    await admin.drain();
    open(member, r);
    await member.refused("room.not-admin", "open");
    const late = await h.peer();
    late.enter(r);
    await late.refused("room.closed", "enter");
  });

  it("close, open, invite and kick on a room that does not exist are refused with room.unknown", async () => {
    const p = await h.peer();
    const r = newRoom();
    close(p, r);
    await p.refused("room.unknown", "close");
    open(p, r);
    await p.refused("room.unknown", "open");
    invite(p, r, p.userId);
    await p.refused("room.unknown", "invite");
    kick(p, r, p.userId, true);
    await p.refused("room.unknown", "kick");
  });
});

describe("relay admin: invites", () => {
  const h = relayServer();

  it("an invite reaches every socket of the invited user, naming the inviter", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    const [b1, b2] = await h.tabs(2);
    invite(a, r, b1.userId);
    await a.quiet();
    for (const b of [b1, b2]) assert.deepEqual(await b.of("invite"), { type: "invite", user_id: a.userId, room_id: r });
  });

  it("in an open room any member may invite; someone not in it may not", async () => {
    const r = newRoom();
    const [, member] = await h.members(r, 2);
    const [target, outsider] = [await h.peer(), await h.peer()];
    invite(member, r, target.userId);
    await member.quiet();
    assert.deepEqual(await target.of("invite"), { type: "invite", user_id: member.userId, room_id: r });
    invite(outsider, r, target.userId);
    await outsider.refused("room.not-member", "invite");
    assert.deepEqual(await target.drain(), []);
  });

  it("an invite to a closed room is a pass for one enter, given by an administrator only", async () => {
    const r = newRoom();
    const [admin, member] = await h.members(r, 2);
    close(admin, r);
    await admin.quiet();
    const guest = await h.peer();
    invite(member, r, guest.userId);
    await member.refused("room.not-admin", "invite");
    guest.enter(r);
    await guest.refused("room.closed", "enter");
    invite(admin, r, guest.userId);
    await admin.quiet();
    await guest.of("invite");
    await guest.entered(r);
    assert.deepEqual(await admin.drain(), [{ type: "enter", user_id: guest.userId, room_id: r }]);
    guest.send({ type: "exit", room_id: r });
    await guest.quiet();
    guest.enter(r);
    await guest.refused("room.closed", "enter");
  });

  it("an invite to an offline user waits for its next connection and is handed over once", async () => {
    const r = newRoom();
    const [admin] = await h.members(r, 1);
    const s = await h.newKey();
    const first = await h.peer(s);
    await first.close();
    invite(admin, r, s.user_id);
    await admin.quiet();
    const back = await h.peer(s);
    assert.deepEqual(await back.of("invite"), { type: "invite", user_id: admin.userId, room_id: r });
    const again = await h.peer(s);
    assert.deepEqual(await again.drain(), [], "a held invite is delivered once");
  });

  it("a held invite older than relay.inviteTtlSeconds is not delivered", async () => {
    const r = newRoom();
    const [admin] = await h.members(r, 1);
    const s = await h.newKey();
    await h.t.server.core.access.holdInvite(s.user_id, r, { id: admin.userId, name: "x" }, -1);
    const back = await h.peer(s);
    assert.deepEqual(await back.drain(), []);
  });

  it("inviting a banned user is refused with user.banned", async () => {
    const r = newRoom();
    const [admin, target] = await h.members(r, 2);
    kick(admin, r, target.userId, true);
    await target.of("kick");
    await admin.of("exit");
    invite(admin, r, target.userId);
    await admin.refused("user.banned", "invite");
  });
});

describe("relay admin: kicks and bans", () => {
  const h = relayServer();

  it("a kick tells the kicked user (every socket), sends exit to the room, and takes the user out", async () => {
    const r = newRoom();
    const [admin, other] = await h.members(r, 2);
    const [t1, t2] = await h.tabs(2);
    await t1.entered(r);
    await t2.entered(r);
    await admin.drain();
    await other.drain();
    kick(admin, r, t1.userId, false, "be nice");
    for (const t of [t1, t2]) assert.deepEqual(await t.of("kick"), { type: "kick", room_id: r, message: "be nice", permanent: false });
    for (const p of [admin, other]) assert.deepEqual(await p.of("exit"), { type: "exit", user_id: t1.userId, room_id: r });
    t1.say(r, "still here?");
    await t1.refused("room.not-member", "message");
    admin.say(r, "after the kick");
    await admin.of("message");
    assert.deepEqual(await t2.drain(), [], "the kicked user no longer listens to the room");
    await t1.entered(r);
    assert.deepEqual(await admin.of("enter"), { type: "enter", user_id: t1.userId, room_id: r }, "a kick that is not permanent lets the user back");
  });

  it("a message sent just before a kick reaches everyone, its sender too, before the exit", async () => {
    for (let round = 0; round < 10; round++) {
      const r = newRoom();
      const [admin, victim, watcher] = await h.members(r, 3);
      victim.say(r, `last word ${round}`);
      kick(admin, r, victim.userId, true);
      const seen = (await watcher.drainUntil((f) => f.type === "exit")).filter((f) => f.type === "message" || f.type === "exit");
      assert.deepEqual(seen.map((f) => f.type), ["message", "exit"], `round ${round}`);
      assert.equal((await victim.of("message")).content, `last word ${round}`);
      assert.equal((await victim.of("kick")).permanent, true);
    }
  });

  it("a permanent kick bans: re-entry is refused with room.banned, even with an invite, on a fresh key", async () => {
    const r = newRoom();
    const [admin, target] = await h.members(r, 2);
    kick(admin, r, target.userId, true);
    assert.deepEqual(await target.of("kick"), { type: "kick", room_id: r, message: null, permanent: true });
    target.enter(r);
    await target.refused("room.banned", "enter");
    const sameUser = await h.peer(target.session);
    sameUser.enter(r);
    await sameUser.refused("room.banned", "enter");
    assert.deepEqual((await h.t.server.core.rooms.get(r))?.bans, [target.userId], "the ban is in the room record");
  });

  it("a user not in the room can be banned ahead, but not merely kicked", async () => {
    const r = newRoom();
    const [admin] = await h.members(r, 1);
    const away = await h.peer();
    kick(admin, r, away.userId, false);
    await admin.refused("user.not-member", "kick");
    kick(admin, r, away.userId, true);
    await admin.quiet();
    assert.equal((await away.of("kick")).permanent, true);
    away.enter(r);
    await away.refused("room.banned", "enter");
  });

  it("kick by a non-administrator is refused with room.not-admin and changes nothing", async () => {
    const r = newRoom();
    const [admin, a, b] = await h.members(r, 3);
    kick(a, r, b.userId, true);
    await a.refused("room.not-admin", "kick");
    assert.deepEqual(await b.drain(), []);
    assert.deepEqual(await admin.drain(), []);
    b.say(r, "unharmed");
    assert.equal((await admin.of("message")).content, "unharmed");
  });

  it("an administrator cannot be kicked", async () => {
    const r = newRoom();
    const [admin] = await h.members(r, 1);
    kick(admin, r, admin.userId, true);
    await admin.refused("user.admin", "kick");
  });
});
