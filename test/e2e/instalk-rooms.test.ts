import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertTime, assertUser, eventually, instalkServer, newRoom, presenceCount, type Frame, type InstalkHarness, type Peer } from "../helpers/instalk.js";

let accounts = 0;

/** Two sockets of one account (same user id), both past init. */
async function twoSockets(h: InstalkHarness): Promise<[Peer, Peer]> {
  const made = await h.t.server.core.accounts.register({ name: `Twin${process.pid % 1000}x${++accounts}`, password: null });
  assert.ok(made.ok);
  const { token } = await h.t.server.core.accounts.issueToken(made.account, "password");
  const one = await h.peer(`?token=${token}`);
  const two = await h.peer(`?token=${token}`);
  assert.equal(one.user.id, two.user.id);
  return [one, two];
}

/** A fresh room with a guest in it, then both sockets of one account; the guest's frames so far consumed. */
async function guestAndTwins(h: InstalkHarness): Promise<{ r: string; g: Peer; one: Peer; two: Peer }> {
  const r = newRoom();
  const g = await h.peer();
  await g.join(r);
  const [one, two] = await twoSockets(h);
  await one.join(r);
  await two.join(r);
  await g.drain();
  return { r, g, one, two };
}

const isPresence = (f: Frame) => f.o === "joined" || f.o === "left" || f.o === "disconnect";

/** What `p` received about presence so far (the heart-beat barrier makes "nothing" mean nothing). */
async function presenceSeen(p: Peer): Promise<Frame[]> {
  return (await p.drain()).filter(isPresence);
}

describe("instalk rooms", () => {
  const h = instalkServer();

  it("join creates a room that does not exist and welcomes with no members, no messages and an empty topic", async () => {
    const r = newRoom();
    assert.equal(await h.t.server.core.rooms.get(r), null);
    const p = await h.peer();
    p.send({ r, o: "join" });
    assert.deepEqual(await p.next(), { r, o: "room-welcome", data: { members: [], messages: [], topic: "" } });
    assert.ok(await h.t.server.core.rooms.get(r));
  });

  it("room ids of 1-64 characters of [A-Za-z0-9_.-] are accepted; anything else is join-failed room.invalid", async () => {
    const p = await h.peer();
    for (const r of ["a", "A.b_c-9", "x".repeat(64)]) assert.deepEqual(await p.join(r), { members: [], messages: [], topic: "" });
    for (const r of ["", "x".repeat(65), "with space", "slash/y", "ümlaut"]) {
      p.send({ r, o: "join" });
      assert.deepEqual(await p.next(), { r, o: "join-failed", reason: { code: "room.invalid" } }, `room ${JSON.stringify(r)}`);
    }
    for (const frame of [{ o: "join" }, { r: 7, o: "join" }]) {
      p.send(frame);
      assert.deepEqual(await p.next(), { o: "join-failed", reason: { code: "room.invalid" } });
    }
  });

  it("members are the other members; the others are told `joined` with the User", async () => {
    const r = newRoom();
    const a = await h.peer();
    await a.join(r);
    const b = await h.peer();
    const welcome = await b.join(r);
    assert.deepEqual(welcome.members, [a.user]);
    const joined = await a.next();
    assert.deepEqual(Object.keys(joined).sort(), ["data", "o", "r"]);
    assert.deepEqual({ r: joined.r, o: joined.o, user: joined.data.user }, { r, o: "joined", user: b.user });
    assertTime(joined.data.time);
    assert.deepEqual(await presenceSeen(b), [], "the joiner is not told about itself");
  });

  it("a user with two sockets is one member: joined on its first socket only, listed once", async () => {
    const r = newRoom();
    const g = await h.peer();
    await g.join(r);
    const [one, two] = await twoSockets(h);
    assertUser(one.user, true);
    assert.deepEqual((await one.join(r)).members, [g.user]);
    assert.deepEqual((await g.op(r, "joined")).data.user, one.user);
    assert.deepEqual((await two.join(r)).members, [g.user], "a user is not its own member");
    assert.deepEqual(await presenceSeen(g), [], "no second joined");
    const late = await h.peer();
    const members = (await late.join(r)).members as Frame[];
    assert.deepEqual(members.map((m) => m.id).sort(), [g.user.id, one.user.id].sort());
  });

  it("leave answers room-bye; the others hear `left` only when the user's last socket leaves", async () => {
    const { r, g, one, two } = await guestAndTwins(h);
    one.send({ r, o: "leave" });
    assert.deepEqual(await one.next(), { r, o: "room-bye" });
    assert.deepEqual(await presenceSeen(g), []);
    two.send({ r, o: "leave" });
    assert.deepEqual(await two.next(), { r, o: "room-bye" });
    const left = await g.op(r, "left");
    assert.deepEqual(Object.keys(left.data).sort(), ["time", "user", "when"]);
    assert.deepEqual(left.data.user, one.user);
    assertTime(left.data.time);
    // Left means left: room operations are refused again, and the member list is without it.
    one.say(r, "still here?");
    assert.deepEqual(await one.next(), { r, o: "msg", error: { code: 404, msg: "room.not-joined" } });
    assert.deepEqual((await (await h.peer()).join(r)).members, [g.user]);
  });

  for (const how of ["clean close", "abrupt terminate"] as const) {
    it(`a socket gone without leaving (${how}) is a disconnect for the others, in every room`, async () => {
      const [r1, r2] = [newRoom(), newRoom()];
      const g = await h.peer();
      await g.join(r1);
      await g.join(r2);
      const a = await h.peer();
      await a.join(r1);
      await a.join(r2);
      await g.drain();
      if (how === "clean close") a.c.close();
      else a.c.terminate();
      for (const r of [r1, r2]) {
        const f = await g.op(r, "disconnect");
        assert.deepEqual(Object.keys(f).sort(), ["o", "r", "sid", "time"]);
        assert.equal(f.sid, a.user.id);
        assertTime(f.time);
      }
      assert.deepEqual((await (await h.peer()).join(r1)).members, [g.user]);
    });
  }

  it("a user's other socket closing is not a disconnect; its last one is", async () => {
    const { r, g, one, two } = await guestAndTwins(h);
    assert.equal(await presenceCount(h, r), 3);
    await one.close();
    await eventually(async () => (await presenceCount(h, r)) === 2, 3000, "the closed socket to leave presence");
    assert.deepEqual(await presenceSeen(g), [], "no disconnect while a socket remains");
    two.c.terminate();
    const f = await g.op(r, "disconnect");
    assert.equal(f.sid, one.user.id);
  });

  it("joining a room again re-sends room-welcome and tells nobody", async () => {
    const r = newRoom();
    const [a, b] = [await h.peer(), await h.peer()];
    await a.join(r);
    await b.join(r);
    await a.said(r, "hello");
    const again = await b.join(r);
    assert.deepEqual(again.members, [a.user]);
    assert.deepEqual(again.messages.map((m: Frame) => m.data.body), ["hello"]);
    assert.deepEqual(await presenceSeen(a), [], "no second joined");
  });
});

describe("instalk rooms: per-connection limit", () => {
  const h = instalkServer({ instalk: { maxRoomsPerConnection: 2 } });

  it("a join beyond maxRoomsPerConnection is join-failed rooms.too-many; leaving makes room", async () => {
    const p = await h.peer();
    const [r1, r2, r3] = [newRoom(), newRoom(), newRoom()];
    await p.join(r1);
    await p.join(r2);
    p.send({ r: r3, o: "join" });
    assert.deepEqual(await p.next(), { r: r3, o: "join-failed", reason: { code: "rooms.too-many" } });
    await p.join(r2); // re-joining a room it is in is no new room
    p.send({ r: r1, o: "leave" });
    assert.deepEqual(await p.next(), { r: r1, o: "room-bye" });
    assert.deepEqual(await p.join(r3), { members: [], messages: [], topic: "" });
  });
});
