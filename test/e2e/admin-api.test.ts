import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";
import { PubsubClient } from "../helpers/pubsub.js";
import {
  frame,
  admin,
  ADMIN_KEY,
  assertComponent,
  assertDocumented,
  assertError,
  enc,
  EventStream,
  instalk,
  join,
  newRoom,
  ok,
  send,
  startAdminServer,
  until,
  type Json,
} from "./admin-client.js";

/** The operator's API against one real server: rooms, topics, kicks, accounts, disconnects, revocations, stats, the event stream. */

let t: TestServer;
let doc: Json;
const open = new Set<TestClient>();
const streams = new Set<EventStream>();

async function socket(query = ""): Promise<{ c: TestClient; user: Json }> {
  const s = await instalk(t, query);
  open.add(s.c);
  return s;
}

async function stream(query: Record<string, string>): Promise<EventStream> {
  const opened = await EventStream.open(t, query);
  assert.equal(opened.status, 200, JSON.stringify(opened.body));
  streams.add(opened.stream!);
  return opened.stream!;
}

let names = 0;
const newName = (base: string) => `${base}-${process.pid % 10_000}-${++names}`;

async function account(base = "acct"): Promise<{ id: string; name: string; token: string }> {
  const name = newName(base);
  const made = await ok(t, "POST", "/api/admin/accounts", { name, password: "correct horse battery" }, 201);
  const token = (await ok(t, "POST", `/api/admin/accounts/${made.id}/tokens`, {}, 201)).accessToken as string;
  return { id: made.id as string, name, token };
}

before(async () => {
  // Heartbeats every 100 ms: the registry's connection counts follow within a test's patience.
  t = await startAdminServer({ cluster: { heartbeatMs: 100, deadAfterMs: 5000 }, pubsub: { maxDataBytes: 1024 } });
  doc = (await send(t, "GET", "/api/openapi.json")).body;
});
afterEach(async () => {
  for (const s of streams) s.close();
  streams.clear();
  for (const c of open) c.close();
  await Promise.all([...open].map((c) => c.waitClose().catch(() => c.terminate())));
  open.clear();
});
after(() => t.stop());

describe("admin API: stats", () => {
  it("names this node and its process, lists the registry's nodes and counts connections per dialect", async () => {
    await socket();
    await until(async () => ((await ok(t, "GET", "/api/admin/stats")).connections.byDialect.instalk ?? 0) >= 1, "the instalk connection in the registry");
    const reply = await admin(t, "GET", "/api/admin/stats");
    assertDocumented(doc, "GET", "/api/admin/stats", reply);
    const s = reply.body;
    assert.equal(s.node.id, t.server.core.broker.nodeId);
    assert.deepEqual(s.nodes.map((n: Json) => n.id), [s.node.id]);
    assert.ok(s.node.memory.rss > 0 && s.node.memory.heapUsed > 0);
    assert.ok(s.node.uptimeSeconds >= 0);
    assert.equal(s.node.runtime, process.version);
    assert.equal(s.connections.total, Object.values(s.connections.byDialect as Record<string, number>).reduce((a, b) => a + b, 0));
    assert.ok(s.rates && s.rates.messagesIn >= 0 && s.rates.messagesOut >= 0, `this node's message rates: ${JSON.stringify(s.rates)}`);
  });
});

describe("admin API: rooms", () => {
  it("lists rooms with member counts and last seq; a search by id part; pages by `next`", async () => {
    const tag = newRoom("list");
    const ids = [`${tag}-a`, `${tag}-b`, `${tag}-c`];
    const a = await socket();
    const b = await socket();
    for (const id of ids) await join(a.c, id);
    await join(b.c, ids[0]);
    await ok(t, "POST", `/api/admin/rooms/${ids[0]}/messages`, { body: "one" }, 201);
    const all = await admin(t, "GET", `/api/admin/rooms?q=${enc(tag.toUpperCase())}`);
    assertDocumented(doc, "GET", "/api/admin/rooms", all);
    assert.deepEqual(all.body.rooms.map((r: Json) => r.id), ids, "id order, any case");
    assert.equal(all.body.next, null);
    const first = all.body.rooms[0];
    assert.equal(first.members, 2);
    assert.equal(first.connections, 2);
    assert.equal(first.lastSeq, 1);
    assert.deepEqual(first.admins, [a.user.id], "the first joiner made the room");
    const page1 = await ok(t, "GET", `/api/admin/rooms?q=${tag}&limit=2`);
    assert.deepEqual(page1.rooms.map((r: Json) => r.id), ids.slice(0, 2));
    assert.equal(page1.next, ids[1]);
    const page2 = await ok(t, "GET", `/api/admin/rooms?q=${tag}&limit=2&after=${enc(page1.next)}`);
    assert.deepEqual(page2.rooms.map((r: Json) => r.id), ids.slice(2));
    assert.equal(page2.next, null);
    assert.deepEqual((await ok(t, "GET", `/api/admin/rooms?q=${tag}-none`)).rooms, []);
  });

  it("one room, its presence (one entry per user, with its connections and nodes) and 404 for an unknown one", async () => {
    const room = newRoom();
    const a = await socket();
    const b = await socket();
    await join(a.c, room);
    await join(b.c, room);
    const summary = await admin(t, "GET", `/api/admin/rooms/${room}`);
    assertDocumented(doc, "GET", "/api/admin/rooms/{room}", summary);
    assert.equal(summary.body.id, room);
    assert.equal(summary.body.members, 2);
    const presence = await admin(t, "GET", `/api/admin/rooms/${room}/presence`);
    assertDocumented(doc, "GET", "/api/admin/rooms/{room}/presence", presence);
    assert.deepEqual(presence.body.members.map((m: Json) => m.id).sort(), [a.user.id, b.user.id].sort());
    const m = presence.body.members.find((x: Json) => x.id === a.user.id);
    assert.deepEqual({ name: m.name, guest: m.guest, connections: m.connections, nodes: m.nodes }, { name: a.user.username, guest: true, connections: 1, nodes: [t.server.core.broker.nodeId] });
    for (const path of ["", "/presence", "/history"]) assertError(await admin(t, "GET", `/api/admin/rooms/${newRoom("nope")}${path}`), 404, "room.unknown");
  });

  it("history: the newest page by default, `before` pages back, `from` pages forward, with cursors", async () => {
    const room = newRoom();
    const a = await socket();
    await join(a.c, room);
    for (let i = 1; i <= 5; i++) await ok(t, "POST", `/api/admin/rooms/${room}/messages`, { body: `m${i}` }, 201);
    const newest = await admin(t, "GET", `/api/admin/rooms/${room}/history?limit=2`);
    assertDocumented(doc, "GET", "/api/admin/rooms/{room}/history", newest);
    assert.deepEqual(newest.body.events.map((e: Json) => [e.seq, e.data.body]), [[4, "m4"], [5, "m5"]]);
    assert.equal(newest.body.prev, 4);
    assert.equal(newest.body.next, null);
    const e = newest.body.events[0];
    assert.equal(e.type, "msg");
    assert.deepEqual(e.sender, { id: "system", name: "system" });
    const older = await ok(t, "GET", `/api/admin/rooms/${room}/history?limit=2&before=${newest.body.prev}`);
    assert.deepEqual(older.events.map((x: Json) => x.seq), [2, 3]);
    const oldest = await ok(t, "GET", `/api/admin/rooms/${room}/history?limit=2&before=${older.prev}`);
    assert.deepEqual(oldest.events.map((x: Json) => x.seq), [1]);
    assert.equal(oldest.prev, null, "nothing before seq 1");
    const forward = await ok(t, "GET", `/api/admin/rooms/${room}/history?limit=3&from=2`);
    assert.deepEqual(forward.events.map((x: Json) => x.seq), [2, 3, 4]);
    assert.equal(forward.next, 5);
    const rest = await ok(t, "GET", `/api/admin/rooms/${room}/history?limit=3&from=${forward.next}`);
    assert.deepEqual(rest.events.map((x: Json) => x.seq), [5]);
    assert.equal(rest.next, null);
    assertError(await admin(t, "GET", `/api/admin/rooms/${room}/history?limit=0`), 400, "request.bad");
    assertError(await admin(t, "GET", `/api/admin/rooms/${room}/history?before=x`), 400, "request.bad");
    assertError(await admin(t, "GET", `/api/admin/rooms/${room}/history?page=2`), 400, "request.bad");
  });

  it("publishes into a room as the system, as an account and as a guest present there; members get it", async () => {
    const room = newRoom();
    const guest = await socket();
    await join(guest.c, room);
    const reply = await admin(t, "POST", `/api/admin/rooms/${room}/messages`, { body: "from the operator" });
    assertDocumented(doc, "POST", "/api/admin/rooms/{room}/messages", reply);
    assert.equal(reply.body.stream, `room:${room}`);
    const got = await frame(guest.c, (f) => f.r === room && f.o === "msg");
    assert.equal(got.data.body, "from the operator");
    assert.equal(got.data.sid, "system");
    assert.equal(got.data.nr, reply.body.seq);
    const acct = await account();
    await ok(t, "POST", `/api/admin/rooms/${room}/messages`, { body: "on behalf", as: acct.id }, 201);
    assert.equal((await frame(guest.c, (f) => f.r === room && f.o === "msg")).data.sid, acct.id);
    const mine = await ok(t, "POST", `/api/admin/rooms/${room}/messages`, { body: "as the guest", as: guest.user.id }, 201);
    assert.deepEqual(mine.sender, { id: guest.user.id, name: guest.user.username });
    assertError(await admin(t, "POST", `/api/admin/rooms/${room}/messages`, { body: "x", as: "nobody-at-all" }), 404, "user.unknown");
    assertError(await admin(t, "POST", `/api/admin/rooms/${newRoom("nope")}/messages`, { body: "x" }), 404, "room.unknown");
    assertError(await admin(t, "POST", `/api/admin/rooms/${room}/messages`, { body: "" }), 400, "request.bad");
    assertError(await admin(t, "POST", `/api/admin/rooms/${room}/messages`, { body: "x", color: "red" }), 400, "request.bad");
  });

  it("kick: out of the room on every socket of the user; a ban keeps them out until unbanned", async () => {
    const room = newRoom();
    const owner = await socket();
    await join(owner.c, room);
    const target = await socket();
    await join(target.c, room);
    const kicked = await admin(t, "POST", `/api/admin/rooms/${room}/kick`, { user: target.user.id });
    assertDocumented(doc, "POST", "/api/admin/rooms/{room}/kick", kicked);
    assert.deepEqual(kicked.body, { room, user: target.user.id, banned: false });
    assert.deepEqual((await frame(target.c, (f) => f.r === room && f.o === "room-bye")).reason, { code: "room.kicked" });
    await frame(owner.c, (f) => f.r === room && f.o === "left" && f.data.user.id === target.user.id);
    assertError(await admin(t, "POST", `/api/admin/rooms/${room}/kick`, { user: target.user.id }), 409, "user.not-member");
    await join(target.c, room);
    await ok(t, "POST", `/api/admin/rooms/${room}/kick`, { user: target.user.id, ban: true, message: "bye" });
    assert.deepEqual((await frame(target.c, (f) => f.r === room && f.o === "room-bye")).reason, { code: "room.banned" });
    target.c.send({ r: room, o: "join" });
    assert.deepEqual((await frame(target.c, (f) => f.r === room && f.o === "join-failed")).reason, { code: "room.banned" });
    assert.deepEqual((await ok(t, "GET", `/api/admin/rooms/${room}`)).bans, [target.user.id]);
    const unban = await admin(t, "DELETE", `/api/admin/rooms/${room}/bans/${enc(target.user.id)}`);
    assertDocumented(doc, "DELETE", "/api/admin/rooms/{room}/bans/{user}", unban);
    assert.equal(unban.status, 204);
    await join(target.c, room);
    assertError(await admin(t, "DELETE", `/api/admin/rooms/${room}/bans/${enc(target.user.id)}`), 404, "ban.unknown");
    // The system outranks the room's own administrator.
    await ok(t, "POST", `/api/admin/rooms/${room}/kick`, { user: owner.user.id, ban: true });
    assert.deepEqual((await frame(owner.c, (f) => f.r === room && f.o === "room-bye")).reason, { code: "room.banned" });
    assert.deepEqual((await ok(t, "GET", `/api/admin/rooms/${room}`)).admins, [], "a banned administrator is one no more");
    assertError(await admin(t, "POST", `/api/admin/rooms/${newRoom("nope")}/kick`, { user: "x" }), 404, "room.unknown");
    assertError(await admin(t, "POST", `/api/admin/rooms/${room}/kick`, {}), 400, "request.bad");
  });
});

describe("admin API: topics", () => {
  it("publishes into a pubsub topic as the system; subscribers get it; names and sizes are checked", async () => {
    const p = new PubsubClient(await TestClient.connect(t.ws("/pubsub")));
    open.add(p.c);
    await p.connect("anonymous");
    const topic = `news.${process.pid}.admin`;
    await p.sub(topic);
    const reply = await admin(t, "POST", `/api/admin/topics/${enc(topic)}/messages`, { data: { headline: "hello" } });
    assertDocumented(doc, "POST", "/api/admin/topics/{topic}/messages", reply);
    assert.equal(reply.body.stream, `topic:${topic}`);
    const mesg = await p.mesg((f) => f.topics[0] === topic);
    assert.deepEqual(mesg.data, { headline: "hello" });
    assert.deepEqual(mesg.sender, { id: "system", name: "system" });
    await ok(t, "POST", `/api/admin/topics/${enc(topic)}/messages`, { data: "as them", as: p.user.id }, 201);
    assert.equal((await p.mesg((f) => f.data === "as them")).sender.id, p.user.id, "a subscriber present on the topic");
    const nested = await ok(t, "POST", `/api/admin/topics/${enc(`${topic}/sub/part`)}/messages`, { data: 1 }, 201);
    assert.equal(nested.stream, `topic:${topic}/sub/part`, "a / in the name travels as %2F");
    assertError(await admin(t, "POST", `/api/admin/topics/${enc("bad topic!")}/messages`, { data: 1 }), 400, "topic.invalid");
    assertError(await admin(t, "POST", `/api/admin/topics/${enc(`${topic}/presence`)}/messages`, { data: 1 }), 400, "topic.invalid");
    assertError(await admin(t, "POST", `/api/admin/topics/${enc(topic)}/messages`, { data: "x".repeat(2000) }), 413, "data.too-large");
    assertError(await admin(t, "POST", `/api/admin/topics/${enc(topic)}/messages`, {}), 400, "request.bad");
  });
});

describe("admin API: accounts and users", () => {
  it("creates accounts without a quota, finds them by id, name or mail, and makes tokens for them", async () => {
    const name = newName("Found");
    const made = await admin(t, "POST", "/api/admin/accounts", { name, password: "long enough pass", mail: `${name}@example.org` });
    assertDocumented(doc, "POST", "/api/admin/accounts", made);
    assertError(await admin(t, "POST", "/api/admin/accounts", { name: name.toLowerCase(), password: "long enough pass" }), 409, "name.taken");
    assertError(await admin(t, "POST", "/api/admin/accounts", { name: newName("Short"), password: "x" }), 400, "password.short");
    for (const q of [made.body.id, name.toUpperCase(), `${name}@example.org`]) {
      const found = await admin(t, "GET", `/api/admin/accounts?q=${enc(q)}`);
      assertDocumented(doc, "GET", "/api/admin/accounts", found);
      assert.deepEqual(found.body.accounts.map((a: Json) => a.id), [made.body.id], q);
    }
    assert.deepEqual(await ok(t, "GET", `/api/admin/accounts?q=${newName("nobody")}`), { accounts: [], next: null });
    const detail = await admin(t, "GET", `/api/admin/accounts/${made.body.id}`);
    assertDocumented(doc, "GET", "/api/admin/accounts/{account}", detail);
    assert.equal(detail.body.revokedBefore, null);
    const token = await admin(t, "POST", `/api/admin/accounts/${made.body.id}/tokens`, { ttlSeconds: 60 });
    assertDocumented(doc, "POST", "/api/admin/accounts/{account}/tokens", token);
    const me = await send(t, "GET", "/api/users/me", undefined, { authorization: `Bearer ${token.body.accessToken}` });
    assert.equal(me.body.id, made.body.id);
    assert.ok(Date.parse(token.body.expiresAt) - Date.now() <= 61_000);
    assertError(await admin(t, "POST", "/api/admin/accounts/no-such-id/tokens", {}), 404, "account.unknown");
    assertError(await admin(t, "GET", "/api/admin/accounts/no-such-id"), 404, "account.unknown");
  });

  it("lists every account once, in folded-name byte order, paged by `next`", async () => {
    const mine = [await account("list-b"), await account("LIST-a"), await account("list-c")];
    const folded = (name: string) => Buffer.from(name.normalize("NFC").toLowerCase());
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 1000, "the listing ends");
      const reply = await admin(t, "GET", `/api/admin/accounts?limit=2${after === null ? "" : `&after=${enc(after)}`}`);
      assertDocumented(doc, "GET", "/api/admin/accounts", reply);
      assert.ok(reply.body.accounts.length <= 2);
      seen.push(...reply.body.accounts.map((a: Json) => a.name as string));
      after = reply.body.next;
      if (after === null) break;
      assert.equal(after, seen[seen.length - 1], "the cursor is the page's last name");
    }
    assert.equal(new Set(seen).size, seen.length, "no account twice");
    for (let i = 1; i < seen.length; i++) assert.ok(Buffer.compare(folded(seen[i - 1]), folded(seen[i])) < 0, `${seen[i - 1]} before ${seen[i]}`);
    for (const a of mine) assert.ok(seen.includes(a.name), a.name);
    const all = await ok(t, "GET", "/api/admin/accounts?limit=200");
    assert.deepEqual(all.accounts.map((a: Json) => a.name), seen.slice(0, 200), "one big page is the same as the small ones");
  });

  it("searches part of a name or mail in any case, pages the matches; refuses a bad limit, and anyone without the key", async () => {
    const tag = newName("Srch");
    const ann = await ok(t, "POST", "/api/admin/accounts", { name: `${tag}-Ann`, password: "long enough pass", mail: `ann.${tag}@example.org` }, 201);
    const bob = await ok(t, "POST", "/api/admin/accounts", { name: `${tag}-bob`, password: "long enough pass", mail: `bob@${tag}.example` }, 201);
    const ids = (reply: Json) => reply.accounts.map((a: Json) => a.id);
    assert.deepEqual(ids(await ok(t, "GET", `/api/admin/accounts?q=${enc(`${tag}-B`.toUpperCase())}`)), [bob.id], "part of a name, any case");
    assert.deepEqual(ids(await ok(t, "GET", `/api/admin/accounts?q=${enc(` ${tag.toLowerCase()} `)}`)), [ann.id, bob.id], "trimmed");
    assert.deepEqual(ids(await ok(t, "GET", `/api/admin/accounts?q=${enc(`@${tag}.EXAMPLE`)}`)), [bob.id], "part of a mail");
    const first = await ok(t, "GET", `/api/admin/accounts?q=${enc(tag)}&limit=1`);
    assert.deepEqual([ids(first), first.next], [[ann.id], ann.name]);
    const second = await ok(t, "GET", `/api/admin/accounts?q=${enc(tag)}&limit=1&after=${enc(first.next)}`);
    assert.deepEqual([ids(second), second.next], [[bob.id], null]);
    assert.deepEqual(await ok(t, "GET", `/api/admin/accounts?q=${enc(`${tag}_`)}`), { accounts: [], next: null }, "_ is no wildcard");
    for (const limit of ["0", "201", "ten", "1.5", ""]) assertError(await admin(t, "GET", `/api/admin/accounts?limit=${limit}`), 400, "request.bad");
    assertError(await admin(t, "GET", "/api/admin/accounts?page=2"), 400, "request.bad");
    assertError(await send(t, "GET", "/api/admin/accounts"), 401, "admin.unauthorized");
    assertError(await send(t, "GET", `/api/admin/accounts?q=${enc(tag)}`), 401, "admin.unauthorized");
  });

  it("disconnect closes every socket opened with the user's token or session key, in every dialect; nothing is revoked", async () => {
    const acct = await account("Disc");
    const viaToken = await socket(`?token=${enc(acct.token)}`);
    assert.equal(viaToken.user.id, acct.id);
    const key = (await send(t, "POST", "/api/sessions", { accessToken: acct.token })).body.key as string;
    const relay = await TestClient.connect(t.ws(`/relay?key=${enc(key)}`));
    open.add(relay);
    const reply = await admin(t, "POST", `/api/admin/users/${acct.id}/disconnect`, { reason: "maintenance" });
    assertDocumented(doc, "POST", "/api/admin/users/{user}/disconnect", reply);
    assert.equal(reply.status, 202);
    await viaToken.c.waitClose(10_000);
    await relay.waitClose(10_000);
    assert.equal((await send(t, "GET", "/api/users/me", undefined, { authorization: `Bearer ${acct.token}` })).status, 200, "the token still works");
    const again = await socket(`?token=${enc(acct.token)}`);
    assert.equal(again.user.id, acct.id, "and may connect again");
  });

  it("disconnect reaches a session that watches its user through the core's disconnects service", async () => {
    // What a dialect session does for a guest without a credential: watch its user id.
    const seen: string[] = [];
    const stop = t.server.core.revocations.disconnects.watch("guest-watch-1", (order) => seen.push(order.reason));
    await ok(t, "POST", "/api/admin/users/guest-watch-1/disconnect", { reason: "go" }, 202);
    await until(() => seen.length === 1, "the watch to fire");
    assert.deepEqual(seen, ["go"]);
    stop();
  });

  it("revoke: every token and session key issued before stops working, their sockets close; later ones work", async () => {
    const acct = await account("Revoke");
    const key = (await send(t, "POST", "/api/sessions", { accessToken: acct.token })).body.key as string;
    const viaToken = await socket(`?token=${enc(acct.token)}`);
    const reply = await admin(t, "POST", `/api/admin/users/${acct.id}/revoke`);
    assertDocumented(doc, "POST", "/api/admin/users/{user}/revoke", reply);
    assert.ok(Math.abs(Date.parse(reply.body.revokedBefore) - Date.now()) < 60_000);
    assert.deepEqual(await frame(viaToken.c, (f) => "error" in f, 10_000), { error: { code: 401, msg: "token.revoked" } });
    await viaToken.c.waitClose(10_000);
    assertError(await send(t, "GET", "/api/users/me", undefined, { authorization: `Bearer ${acct.token}` }), 401, "token.invalid");
    await assert.rejects(TestClient.connect(t.ws(`/relay?key=${enc(key)}`)), { status: 401 });
    const fresh = (await ok(t, "POST", `/api/admin/accounts/${acct.id}/tokens`, {}, 201)).accessToken as string;
    assert.equal((await send(t, "GET", "/api/users/me", undefined, { authorization: `Bearer ${fresh}` })).status, 200, "a token made after the revocation works");
    const login = await send(t, "POST", "/auth/login", { name: acct.name, password: "correct horse battery" });
    assert.equal((await send(t, "GET", "/api/users/me", undefined, { authorization: `Bearer ${login.body.accessToken}` })).status, 200);
    assert.equal((await ok(t, "GET", `/api/admin/accounts/${acct.id}`)).revokedBefore, reply.body.revokedBefore);
  });
});

describe("admin API: the event stream", () => {
  it("a one-use ticket opens a stream of stats; a used or made-up ticket is refused", async () => {
    const ticket = (await ok(t, "POST", "/api/admin/stream-tickets", undefined, 201)).ticket as string;
    const first = await EventStream.open(t, {}, ticket);
    assert.equal(first.status, 200);
    streams.add(first.stream!);
    const s = await first.stream!.next((e) => e.event === "stats", "stats");
    assertComponent(doc, "StreamEvent", s);
    const reused = await EventStream.open(t, {}, ticket);
    assert.equal(reused.status, 401);
    assert.equal(reused.body.error, "ticket.invalid");
    assert.equal((await EventStream.open(t, {}, "made-up-ticket")).status, 401);
    const badView = await EventStream.open(t, { view: "room" });
    assert.equal(badView.status, 400, "view=room needs a room");
    const unknown = await EventStream.open(t, { view: "room", room: newRoom("nope") });
    assert.equal(unknown.status, 404);
  });

  it("view=rooms sends the room list; view=room its summary, members as they change, and its events as they happen", async () => {
    const room = newRoom("live");
    const owner = await socket();
    await join(owner.c, room);
    const rooms = await stream({ view: "rooms", q: room });
    const listed = await rooms.next((e) => e.event === "rooms" && e.data.rooms.length === 1, "the room list");
    assertComponent(doc, "StreamEvent", listed);
    const s = await stream({ view: "room", room });
    assertComponent(doc, "StreamEvent", await s.next((e) => e.event === "room", "the room's summary"));
    await s.next((e) => e.event === "members" && e.data.members.length === 1, "one member");
    const guest = await socket();
    await join(guest.c, room);
    const joined = await s.next((e) => e.event === "event" && e.data.type === "joined", "joined");
    assertComponent(doc, "StreamEvent", joined);
    assert.equal(joined.data.sender.id, guest.user.id);
    assert.equal(joined.data.seq, null, "a signal, not stored");
    const members = await s.next((e) => e.event === "members" && e.data.members.length === 2, "two members");
    assertComponent(doc, "StreamEvent", members);
    guest.c.send({ r: room, o: "msg", data: { body: "seen live" } });
    const msg = await s.next((e) => e.event === "event" && e.data.type === "msg", "the message");
    assertComponent(doc, "StreamEvent", msg);
    assert.equal(msg.data.data.body, "seen live");
    assert.equal(msg.data.seq, 1);
    await ok(t, "POST", `/api/admin/rooms/${room}/kick`, { user: guest.user.id });
    await s.next((e) => e.event === "members" && e.data.members.length === 1, "back to one member");
    // Nobody is shown in the room because an admin watches it.
    assert.deepEqual((await ok(t, "GET", `/api/admin/rooms/${room}/presence`)).members.map((m: Json) => m.id), [owner.user.id]);
  });
});

describe("admin API: configuration", () => {
  it("GET /api/config shows the running configuration with every secret redacted", async () => {
    const reply = await admin(t, "GET", "/api/config");
    assertDocumented(doc, "GET", "/api/config", reply);
    const text = JSON.stringify(reply.body);
    assert.ok(!text.includes(ADMIN_KEY), "the admin key is not shown");
    for (const secret of [t.server.config.auth.secret, t.server.config.fuse.secretKey]) if (secret) assert.ok(!text.includes(secret), "nor the other secrets");
    assert.equal(reply.body.effective.auth.adminKey, "[redacted]");
    assert.equal(reply.body.effective.pubsub.maxDataBytes, 1024);
  });
});
