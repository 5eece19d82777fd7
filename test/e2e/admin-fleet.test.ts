import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalBroker, LocalNetwork } from "../../src/engine/broker/local/index.js";
import type { TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";
import { frame, admin, assertError, auth, enc, EventStream, instalk, join, newRoom, ok, send, startAdminServer, until, type Json } from "./admin-client.js";

/**
 * Two nodes in this process on one store and one broker network: what the
 * operator orders on one node reaches the connections held by the other.
 */

let dir: string;
let a: TestServer;
let b: TestServer;
const sockets: TestClient[] = [];

before(async () => {
  dir = await mkdtemp(joinPath(tmpdir(), "sb-admin-fleet-"));
  const network = new LocalNetwork();
  const overrides = { trustedProxies: ["127.0.0.1"], cluster: { heartbeatMs: 100, deadAfterMs: 5000 } };
  const parts = { broker: (nodeId: string) => new LocalBroker({ nodeId, network }) };
  // One after the other: the first creates the store the second opens.
  a = await startAdminServer(overrides, dir, parts);
  b = await startAdminServer(overrides, dir, parts);
});
after(async () => {
  for (const c of sockets) c.terminate();
  await Promise.allSettled([a.stop(), b.stop()]);
  await rm(dir, { recursive: true, force: true });
});

async function socket(t: TestServer, query = ""): Promise<{ c: TestClient; user: Json }> {
  const s = await instalk(t, query);
  sockets.push(s.c);
  return s;
}

async function account(): Promise<{ id: string; token: string }> {
  const made = await ok(a, "POST", "/api/admin/accounts", { name: `fleet-${process.pid % 10_000}-${sockets.length}`, password: "correct horse battery" }, 201);
  return { id: made.id as string, token: (await ok(a, "POST", `/api/admin/accounts/${made.id}/tokens`, {}, 201)).accessToken as string };
}

describe("admin API in a fleet", () => {
  it("stats on either node list both nodes and their connections", async () => {
    await socket(b);
    await until(async () => {
      const s = await ok(a, "GET", "/api/admin/stats");
      return s.nodes.length === 2 && s.connections.byDialect.instalk >= 1;
    }, "both nodes and b's connection in a's stats");
    const ids = (await ok(b, "GET", "/api/admin/stats")).nodes.map((n: Json) => n.id).sort();
    assert.deepEqual(ids, [a.server.core.broker.nodeId, b.server.core.broker.nodeId].sort());
  });

  it("a kick ordered on one node takes the user out of the room on the other; presence shows the node", async () => {
    const room = newRoom("fleet");
    const onA = await socket(a);
    await join(onA.c, room);
    const onB = await socket(b);
    await join(onB.c, room);
    const presence = await ok(a, "GET", `/api/admin/rooms/${room}/presence`);
    assert.deepEqual(presence.members.find((m: Json) => m.id === onB.user.id).nodes, [b.server.core.broker.nodeId]);
    await ok(a, "POST", `/api/admin/rooms/${room}/kick`, { user: onB.user.id, ban: true });
    assert.deepEqual((await frame(onB.c, (f) => f.r === room && f.o === "room-bye", 10_000)).reason, { code: "room.banned" });
    await frame(onA.c, (f) => f.r === room && f.o === "left", 10_000);
    onB.c.send({ r: room, o: "join" });
    await frame(onB.c, (f) => f.r === room && f.o === "join-failed", 10_000);
  });

  it("a message published on one node reaches members on the other", async () => {
    const room = newRoom("fleet");
    const onB = await socket(b);
    await join(onB.c, room);
    await ok(a, "POST", `/api/admin/rooms/${room}/messages`, { body: "across the fleet" }, 201);
    assert.equal((await frame(onB.c, (f) => f.r === room && f.o === "msg", 10_000)).data.body, "across the fleet");
  });

  it("disconnect and revoke ordered on one node close the user's sockets on the other", async () => {
    const first = await account();
    const viaB = await socket(b, `?token=${enc(first.token)}`);
    await ok(a, "POST", `/api/admin/users/${first.id}/disconnect`, {}, 202);
    await viaB.c.waitClose(10_000);
    const again = await socket(b, `?token=${enc(first.token)}`);
    assert.equal(again.user.id, first.id, "a disconnect keeps the token valid");
    await ok(a, "POST", `/api/admin/users/${first.id}/revoke`);
    await again.c.waitClose(10_000);
    assertError(await send(b, "GET", "/api/users/me", undefined, { authorization: `Bearer ${first.token}` }), 401, "token.invalid");
  });

  it("a ticket from one node opens a stream on the other", async () => {
    const ticket = (await ok(a, "POST", "/api/admin/stream-tickets", undefined, 201)).ticket as string;
    const opened = await EventStream.open(b, {}, ticket);
    assert.equal(opened.status, 200);
    const stats = await opened.stream!.next((e) => e.event === "stats", "stats from b");
    assert.equal(stats.data.node.id, b.server.core.broker.nodeId);
    opened.stream!.close();
  });

  it("wrong keys counted on one node throttle the address on the other", async () => {
    const guesser = { "x-forwarded-for": "10.88.0.1" };
    const limit = a.server.config.auth.loginFailuresPerAddress;
    for (let i = 0; i < limit; i++) assertError(await send(i % 2 ? a : b, "GET", "/api/admin/stats", undefined, { ...guesser, ...auth(`guess-${i}-0123456789abcdef`) }), 401);
    assertError(await send(a, "GET", "/api/admin/stats", undefined, { ...guesser, ...auth() }), 429, "rate.limited");
    assertError(await send(b, "GET", "/api/admin/stats", undefined, { ...guesser, ...auth() }), 429, "rate.limited");
    assert.equal((await admin(b, "GET", "/api/admin/stats")).status, 200, "the test's own address is not throttled");
  });
  it("a room relay marks on one node stops storing on the other at once (no stale cached answer)", async () => {
    // Relay's room ids are UUIDs, which instalk's room ids include.
    const room = randomUUID();
    const publish = () => admin(a, "POST", `/api/admin/rooms/${encodeURIComponent(room)}/messages`, { body: "from the operator" });
    // An instalk member on node a makes the room; node a stores into it, so it holds a fresh "keeps content" answer.
    const member = await socket(a);
    await join(member.c, room);
    assert.equal((await publish()).status, 201);
    const res = await fetch(`${b.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ anonymous: true }) });
    const { key } = (await res.json()) as { key: string };
    const relay = await TestClient.connect(b.ws(`/relay?key=${encodeURIComponent(key)}`));
    sockets.push(relay);
    relay.send({ type: "enter", room_id: room });
    // A ping's pong comes after the enter was handled (requests are answered in order).
    relay.send({ type: "ping", time: 1.5 });
    await relay.waitFor((f) => f.type === "pong");
    const refused = await publish();
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error, "room.no-retention");
    assert.equal(await a.server.core.rooms.lastSeq(room), 1, "only the message before relay came was stored");
  });
});
