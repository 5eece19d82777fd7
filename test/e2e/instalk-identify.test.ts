import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertTime, assertUser, eventually, instalkServer, newRoom, type Frame, type InstalkHarness, type Peer } from "../helpers/instalk.js";

let names = 0;
const newName = (base = "Ann") => `${base} ${process.pid % 1000}.${++names}`;

async function identify(p: Peer, frame: Frame): Promise<Frame> {
  p.send(frame);
  return p.waitFor((f) => "identified" in f);
}

async function refused(p: Peer, frame: Frame): Promise<string> {
  const reply = await identify(p, frame);
  assert.equal(reply.identified, false, JSON.stringify(reply));
  assert.deepEqual(Object.keys(reply).sort(), ["identified", "reason"]);
  return reply.reason.code as string;
}

/** An account registered through the core, and an access token for it. */
async function account(h: InstalkHarness, name: string): Promise<string> {
  const accounts = h.t.server.core.accounts;
  const made = await accounts.register({ name, password: null });
  assert.ok(made.ok);
  return (await accounts.issueToken(made.account, "password")).token;
}

describe("instalk identify", () => {
  const h = instalkServer();

  it("a free name is taken for the session: identified with the same id, the new name, verified false", async () => {
    const p = await h.peer();
    const name = newName();
    const reply = await identify(p, { identity: name, mail: "ann@example.org" });
    assert.deepEqual(Object.keys(reply).sort(), ["identified", "user"]);
    assert.equal(reply.identified, true);
    assertUser(reply.user);
    assert.equal(reply.user.id, p.user.id);
    assert.equal(reply.user.username, name);
    p.send({ v: "0.1" });
    assert.deepEqual((await p.next()).user, reply.user);
  });

  it("mail is optional: absent, null or empty", async () => {
    const p = await h.peer();
    for (const mail of [undefined, null, ""]) assert.equal((await identify(p, { identity: newName(), mail })).identified, true);
  });

  it("names outside 1-32 letters, digits, space and ._- are name.invalid", async () => {
    const p = await h.peer();
    for (const identity of ["", "x".repeat(33), "semi;colon", "emoji 😀", "tab\there", 42, null]) {
      assert.equal(await refused(p, { identity, mail: "a@b.c" }), "name.invalid", `identity ${JSON.stringify(identity)}`);
    }
    for (const identity of ["x".repeat(32), "Jürgen Öz_.-9", "李小龙"]) {
      assert.equal((await identify(p, { identity })).identified, true, identity);
    }
  });

  it("a mail without exactly one @ with text on both sides is mail.invalid", async () => {
    const p = await h.peer();
    for (const mail of ["plain", "@b.c", "a@", "a@b@c", "a b@c", 7]) {
      assert.equal(await refused(p, { identity: newName(), mail }), "mail.invalid", `mail ${JSON.stringify(mail)}`);
    }
  });

  it("a name a live session holds is name.taken (any case) until that session closes", async () => {
    const [a, b] = [await h.peer(), await h.peer()];
    const name = newName("Bob");
    assert.equal((await identify(a, { identity: name })).identified, true);
    assert.equal(await refused(b, { identity: name }), "name.taken");
    assert.equal(await refused(b, { identity: name.toUpperCase() }), "name.taken");
    await a.close();
    let reply: Frame = {};
    await eventually(async () => (reply = await identify(b, { identity: name })).identified === true, 3000, "the name to be freed");
    assert.equal(reply.user.username, name);
  });

  it("a live guest's generated name is taken too, and renaming frees the old name", async () => {
    const [a, b] = [await h.peer(), await h.peer()];
    const guestName = a.user.username;
    assert.equal(await refused(b, { identity: guestName }), "name.taken");
    assert.equal((await identify(a, { identity: newName() })).identified, true);
    assert.equal((await identify(b, { identity: guestName })).identified, true);
  });

  it("any token that was not issued is token.invalid", async () => {
    const p = await h.peer();
    assert.equal(await refused(p, { identity: newName(), mail: "a@b.c", token: "not-a-token" }), "token.invalid");
    assert.equal(await refused(p, { identity: newName(), token: "eyJhbGciOiJIUzI1NiJ9.e30.c2ln" }), "token.invalid");
    assert.equal(await refused(p, { identity: newName(), token: 12345 }), "token.invalid");
  });

  it("a name that belongs to an account is name.taken without its token", async () => {
    const name = newName("Owner");
    await h.t.server.core.store.accounts.create({ id: `acct-${names}`, name, mail: null, passwordHash: null, color: "#123456", created: Date.now(), meta: {} });
    const p = await h.peer();
    assert.equal(await refused(p, { identity: name, mail: "o@b.c" }), "name.taken");
    assert.equal(await refused(p, { identity: name.toLowerCase() }), "name.taken");
  });

  it("an account's token makes the session that account: verified, id unchanged", async () => {
    const name = newName("Vera");
    const token = await account(h, name);
    const p = await h.peer();
    const reply = await identify(p, { identity: name, mail: "v@b.c", token });
    assert.equal(reply.identified, true);
    assertUser(reply.user, true);
    assert.equal(reply.user.id, p.user.id);
    assert.equal(reply.user.username, name);
    const other = await h.peer();
    assert.equal(await refused(other, { identity: newName("Mallory"), token }), "token.invalid", "a token is for its own name only");
  });

  it("a token on the upgrade (query or cookie) welcomes that account, verified; a bad one leaves a guest", async () => {
    const name = newName("Tok");
    const token = await account(h, name);
    const byQuery = await h.peer(`?token=${encodeURIComponent(token)}`);
    assertUser(byQuery.user, true);
    assert.equal(byQuery.user.username, name);
    const byCookie = await h.peer("", { cookie: `other=1; switchboard_token=${encodeURIComponent(token)}` });
    assert.deepEqual(byCookie.user, byQuery.user);
    const bad = await h.peer("?token=garbage");
    assert.match(bad.user.username, /^Guest-\d+$/);
  });

  it("the colour is the same for the same name, across sessions", async () => {
    const name = newName("Hue");
    const a = await h.peer();
    const first = (await identify(a, { identity: name })).user.color as string;
    await a.close();
    const b = await h.peer();
    let reply: Frame = {};
    await eventually(async () => (reply = await identify(b, { identity: name })).identified === true, 3000, "the name to be freed");
    assert.equal(reply.user.color, first);
    // A guest's generated colour follows the same rule.
    const guest = await h.peer();
    const guestName = guest.user.username;
    await guest.close();
    await eventually(async () => (reply = await identify(b, { identity: guestName })).identified === true, 3000, "the guest name to be freed");
    assert.equal(reply.user.color, guest.user.color);
  });

  it("identify stores a set-user-info event in every joined room and sends it to every member", async () => {
    const [r1, r2] = [newRoom(), newRoom()];
    const a = await h.peer();
    const b = await h.peer();
    await a.join(r1);
    await a.join(r2);
    await b.join(r1);
    await a.said(r1, "before");
    const name = newName("Renamed");
    const reply = await identify(a, { identity: name, mail: "r@b.c" });
    const expectUser = { id: a.user.id, username: name, color: reply.user.color, verified: false, auth: false, info: { name, color: reply.user.color } };
    for (const [who, r, nr] of [[a, r1, 2], [b, r1, 2], [a, r2, 1]] as const) {
      const f = await who.op(r, "set-user-info");
      assert.deepEqual(Object.keys(f.data).sort(), ["#", "nr", "sender", "sid", "time", "user"]);
      assert.equal(f.data.nr, nr);
      assert.equal(f.data.sid, a.user.id);
      assert.deepEqual(f.data.user, expectUser);
      assertTime(f.data.time);
    }
    // Stored: it counts in nr, it is history, and members now show the new name.
    assert.equal((await a.said(r1, "after")).data.nr, 3);
    const synced = await b.history(r1, "sync", { from: 1 });
    assert.deepEqual(synced.messages.map((m: Frame) => m.o), ["msg", "set-user-info", "msg"]);
    const c = await h.peer();
    const welcome = await c.join(r1);
    assert.deepEqual(welcome.members.find((m: Frame) => m.id === a.user.id), expectUser);
  });
});
