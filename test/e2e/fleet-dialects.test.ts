// Three real server processes on one throwaway PostgreSQL database and one
// throwaway Redis, HAProxy round-robin in front with no stickiness: every
// dialect's promises hold across nodes.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { clusterNodes, fleetSkipReason, startFleet, type Fleet, type FleetNode } from "../helpers/fleet.js";
import { initialised, newRoom, type Frame, type Peer } from "../helpers/instalk.js";
import { pgReachable, pgSkipReason } from "../helpers/pg.js";
import { httpLogin, newName, Pull, push } from "../helpers/fuse.js";
import { PubsubClient, newTopic } from "../helpers/pubsub.js";
import type { TestServer } from "../helpers/server.js";
import { redisSkipReason } from "../helpers/redis.js";
import { RelayPeer, type SessionKey } from "../helpers/relay.js";
import { ReallyClient, unique } from "../helpers/really.js";
import { TestClient } from "../helpers/ws-client.js";

const skip = fleetSkipReason() ?? redisSkipReason() ?? ((await pgReachable()) ? null : pgSkipReason("the fleet tests"));
if (skip) console.warn(`\n${"!".repeat(100)}\n!!! fleet tests SKIPPED: ${skip}\n${"!".repeat(100)}\n`);

type Where = Pick<FleetNode, "url" | "ws">;

const open: TestClient[] = [];
async function socket(at: Where, path: string, headers: Record<string, string> = {}): Promise<TestClient> {
  const c = await TestClient.connect(at.ws(path), headers);
  open.push(c);
  return c;
}

async function instalkPeer(at: Where, query = ""): Promise<Peer> {
  return initialised(await socket(at, `/websocket${query}`));
}

async function post(at: Where, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Frame }> {
  const res = await fetch(`${at.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Frame) : {} };
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("a fleet of three nodes behind HAProxy", { skip: skip ?? undefined }, () => {
  let fleet: Fleet;
  let n: FleetNode[];
  before(async () => {
    fleet = await startFleet({ settings: { "limits.messagesPerSecond": 10_000, "limits.burst": 10_000 } });
    n = fleet.nodes;
  });
  after(async () => {
    for (const c of open) c.terminate();
    await fleet?.close();
  });

  it("every node is in the registry with its connection counts; the API needs the admin key", async () => {
    await eventually("three nodes listed", async () => (await clusterNodes(n[0].url)).length === 3);
    const ids = (await clusterNodes(n[2].url)).map((x) => x.id);
    assert.deepEqual(ids, ["n1", "n2", "n3"]);
    assert.equal((await fetch(`${n[1].url}/api/cluster`)).status, 401);
    assert.equal((await fetch(`${n[1].url}/api/cluster`, { headers: { authorization: "Bearer wrong-key-wrong-key" } })).status, 401);
    await instalkPeer(n[1]);
    await eventually("n2 counts its instalk socket", async () => ((await clusterNodes(n[0].url)).find((x) => x.id === "n2")?.connections.instalk ?? 0) >= 1);
  });

  it("instalk: members on three nodes see one room's messages in the same order, and each other's joins and leaves", async () => {
    const r = newRoom("fleet");
    const [a, b, c] = [await instalkPeer(n[0]), await instalkPeer(n[1]), await instalkPeer(n[2])];
    await a.join(r);
    await b.join(r);
    assert.equal((await a.op(r, "joined", 10_000)).data.user.id, b.user.id, "a join on n2 is announced on n1");
    await c.join(r);
    await a.op(r, "joined", 10_000);
    await b.op(r, "joined", 10_000);
    for (let i = 0; i < 15; i++) {
      a.say(r, `a${i}`);
      b.say(r, `b${i}`);
      c.say(r, `c${i}`);
    }
    const seen = await Promise.all([a, b, c].map((p) => p.msgs(r, 45, 15_000)));
    const order = seen.map((frames) => frames.map((f) => `${f.data.nr}:${f.data.body}`));
    assert.deepEqual(order[1], order[0]);
    assert.deepEqual(order[2], order[0]);
    assert.deepEqual(seen[0].map((f) => f.data.nr), Array.from({ length: 45 }, (_, i) => i + 1));
    await b.close();
    const left = await a.waitFor((f) => f.r === r && f.o === "disconnect", 10_000);
    assert.equal(left.sid, b.user.id);
  });

  it("instalk: sync on another node fills in what was missed, once, in order", async () => {
    const r = newRoom("sync");
    const a = await instalkPeer(n[0]);
    const w = await instalkPeer(n[1]);
    await a.join(r);
    await w.join(r);
    await w.said(r, "one");
    const last = (await a.waitFor((f) => f.o === "msg" && f.data.body === "one")).data.nr as number;
    await a.close();
    for (const body of ["two", "three", "four"]) await w.said(r, body);
    const back = await instalkPeer(fleet.balancer);
    await back.join(r);
    const synced = await back.history(r, "sync", { from: last + 1 });
    assert.deepEqual(synced.messages.map((m: Frame) => m.data.body), ["two", "three", "four"]);
  });

  it("pubsub: subscribers on three nodes get every message in one order; presence crosses nodes; resume through the balancer", async () => {
    const t = newTopic("fleet");
    const subs: PubsubClient[] = [];
    // One after another: each earlier subscriber then hears the later ones join.
    for (const node of n) {
      const p = new PubsubClient(await socket(node, "/pubsub"));
      await p.connect("anonymous");
      await p.sub(t, `${t}/presence`);
      subs.push(p);
    }
    await subs[0].pres("join", subs[2].user.id, t, 10_000);
    await Promise.all(subs.map((p, i) => Promise.all([0, 1, 2, 3, 4].map((k) => p.pub([t], `${i}-${k}`)))));
    const got = await Promise.all(subs.map(async (p) => {
      const out: unknown[] = [];
      while (out.length < 15) out.push((await p.mesg((f) => f.topics?.[0] === t, 10_000)).data);
      return out;
    }));
    assert.deepEqual(got[1], got[0]);
    assert.deepEqual(got[2], got[0]);
    // The third leaves on n3; n1 hears it.
    const gone = subs[2];
    await gone.close();
    await subs[0].pres("leave", gone.user.id, t, 10_000);
    // A session left on n1 resumes through the balancer (another node, most of the time) with the missed messages.
    const left = subs[0];
    const session = left.session;
    await left.close();
    await subs[1].pub([t], "missed-1");
    await subs[1].pub([t], "missed-2");
    const again = new PubsubClient(await socket(fleet.balancer, "/pubsub"));
    again.send({ op: "resume", type: "request", id: "r1", session });
    const reply = await again.take((f) => f.id === "r1");
    assert.equal(reply.type, "success", JSON.stringify(reply));
    const replayed = [await again.mesg(undefined, 10_000), await again.mesg(undefined, 10_000)];
    assert.deepEqual(replayed.map((m) => m.data), ["missed-1", "missed-2"]);
  });

  it("relay: a ban made on node A holds on node C", async () => {
    const key = async (): Promise<SessionKey> => (await post(n[0], "/api/sessions", { anonymous: true })).body as SessionKey;
    const room = randomUUID();
    const adminKey = await key();
    const adminPeer = new RelayPeer(await socket(n[0], `/relay?key=${encodeURIComponent(adminKey.key)}`), adminKey);
    await adminPeer.entered(room);
    const victimKey = await key();
    const victim = new RelayPeer(await socket(n[2], `/relay?key=${encodeURIComponent(victimKey.key)}`), victimKey);
    await victim.entered(room);
    await adminPeer.drain();
    adminPeer.send({ type: "kick", key: adminPeer.key, user_id: victim.userId, room_id: room, permanent: true });
    await victim.of("kick", 10_000);
    const again = new RelayPeer(await socket(n[2], `/relay?key=${encodeURIComponent(victimKey.key)}`), victimKey);
    again.enter(room);
    await again.refused("room.banned", "enter");
  });

  it("really: a message created through node B reaches a subscribed reader on node C", async () => {
    const anon = async () => (await post(n[1], "/auth/anonymous/", {})).body.accessToken as string;
    const writer = new ReallyClient(await socket(n[1], "/v0.1/socket"));
    await writer.initialize(await anon());
    const reader = new ReallyClient(await socket(n[2], "/v0.1/socket"));
    await reader.initialize(await anon());
    const name = unique("really-fleet");
    assert.equal((await writer.request("create", { r: "/rooms/", body: { name } })).error, undefined);
    await reader.request("read", { r: `/rooms/${name}/messages/`, cmdOpts: { subscribe: true } });
    await writer.request("create", { r: `/rooms/${name}/messages/`, body: { body: "across" } });
    const push = await reader.push("created", (f) => f.body.body === "across", 10_000);
    assert.equal(push.r, `/rooms/${name}/messages/*/`);
    assert.equal(push.body._r, `/rooms/${name}/messages/1`);
  });

  it("fuse: a session logged in through node A pulls through node B and pushes through node C", async () => {
    // The fuse helpers only read `url` of the server they are given.
    const [a, b, c] = n.map((node) => node as unknown as TestServer);
    const name = newName("fl");
    const cookie = await httpLogin(a, name);
    const pull = await Pull.open(b, name, { cookie });
    try {
      assert.equal(pull.res.statusCode, 200);
      assert.equal((await push(c, name, "chat|hello across the fleet", { cookie })).text, "chat|done");
      assert.equal(await pull.nextReal(), `text|${name}|hello across the fleet`);
    } finally {
      pull.close();
    }
  });

  it("a token revoked through node B closes a socket on node C", async () => {
    const name = unique("rev");
    assert.equal((await post(n[1], "/api/users", { name, password: "correct horse battery" })).status, 201);
    const token = (await post(n[1], "/auth/login/", { name, password: "correct horse battery" })).body.accessToken as string;
    const c = await socket(n[2], `/websocket?token=${encodeURIComponent(token)}`);
    c.send({ v: "0.1" });
    await c.waitFor((f) => f.welcome === 1);
    assert.equal((await post(n[1], "/auth/revoke/", { accessToken: token })).status, 204);
    assert.deepEqual(await c.waitFor((f) => "error" in f, 10_000), { error: { code: 401, msg: "token.revoked" } });
    assert.equal((await c.waitClose(10_000)).code, 1008);
  });

  it("live configuration set on one node reaches every node; fixed settings are refused by name", async () => {
    const headers = { authorization: "Bearer fleet-test-admin-key-0123456789", "content-type": "application/json" };
    const refused = await fetch(`${n[0].url}/api/config`, { method: "PATCH", headers, body: JSON.stringify({ port: 1, store: { url: "" } }) });
    assert.equal(refused.status, 400);
    const why = (await refused.json()) as Frame;
    assert.match(why.reason, /port/);
    assert.match(why.reason, /store/);
    const ok = await fetch(`${n[0].url}/api/config`, { method: "PATCH", headers, body: JSON.stringify({ instalk: { maxBodyChars: 7 } }) });
    assert.equal(ok.status, 200);
    // Within 2 s every node refuses an 8-character body.
    const r = newRoom("cfg");
    const p = await instalkPeer(n[2]);
    await p.join(r);
    await eventually("n3 applies the new limit", async () => {
      p.say(r, "12345678");
      const f = await p.waitFor((x) => "error" in x || (x.r === r && x.o === "msg"), 5000);
      return "error" in f;
    }, 2500);
    await fetch(`${n[0].url}/api/config`, { method: "PATCH", headers, body: JSON.stringify({ instalk: { maxBodyChars: 4000 } }) });
  });
});
