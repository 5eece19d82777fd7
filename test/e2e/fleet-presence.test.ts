// Cross-node presence for relay, really and fuse on a real fleet: three server
// processes, one throwaway PostgreSQL database, one throwaway Redis. A member
// arriving or leaving on one node is announced on the others, in each
// dialect's own way; a member whose node is killed (-9) is announced as gone
// by the survivors once. (instalk and pubsub: fleet-dialects, fleet-faults.)
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { clusterNodes, fleetSkipReason, startFleet, type Fleet, type FleetNode } from "../helpers/fleet.js";
import { FuseClient, loggedIn } from "../helpers/fuse.js";
import { initialised } from "../helpers/instalk.js";
import { pgReachable, pgSkipReason } from "../helpers/pg.js";
import { ReallyClient } from "../helpers/really.js";
import { redisSkipReason } from "../helpers/redis.js";
import { RelayPeer, type Frame, type SessionKey } from "../helpers/relay.js";
import type { TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";

const skip = fleetSkipReason() ?? redisSkipReason() ?? ((await pgReachable()) ? null : pgSkipReason("the fleet presence tests"));
if (skip) console.warn(`\n${"!".repeat(100)}\n!!! fleet presence tests SKIPPED: ${skip}\n${"!".repeat(100)}\n`);

const open: Array<{ terminate(): void }> = [];

async function socket(at: FleetNode, path: string): Promise<TestClient> {
  const c = await TestClient.connect(at.ws(path));
  open.push(c);
  return c;
}

async function post(at: FleetNode, path: string, body: unknown): Promise<Frame> {
  const res = await fetch(`${at.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  assert.ok(res.status === 200 || res.status === 201, `${path} answered ${res.status}`);
  return (await res.json()) as Frame;
}

/** A relay socket on `at` for a fresh guest (its session key made through the same node). */
async function relayPeer(at: FleetNode): Promise<RelayPeer> {
  const key = (await post(at, "/api/sessions", { anonymous: true })) as SessionKey;
  return new RelayPeer(await socket(at, `/relay?key=${encodeURIComponent(key.key)}`), key);
}

/** A registered fuse user logged in over a WebSocket on `at` (the fuse helpers only read `url` and `ws`). */
async function fusePlayer(at: FleetNode, prefix: string): Promise<FuseClient> {
  const c = await loggedIn(at as unknown as TestServer, prefix);
  open.push({ terminate: () => c.ws.terminate() });
  return c;
}

async function really(at: FleetNode): Promise<ReallyClient> {
  const c = new ReallyClient(await socket(at, "/v0.1/socket"));
  await c.initialize((await post(at, "/auth/anonymous/", {})).accessToken as string);
  return c;
}

/** The user ids really's `get /rooms/<id>` lists as present. */
async function reallyMembers(reader: ReallyClient, room: string): Promise<string[]> {
  const reply = await reader.request("get", { r: `/rooms/${room}` }, 10_000);
  assert.equal(reply.error, undefined, JSON.stringify(reply));
  return (reply.body.members as Frame[]).map((m) => String(m._r).replace("/users/", ""));
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every relay frame up to the first that matches; fails after `timeoutMs`. */
async function relayUntil(p: RelayPeer, match: (f: Frame) => boolean, timeoutMs: number): Promise<Frame[]> {
  const seen: Frame[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = await p.next(Math.max(1, deadline - Date.now()));
    seen.push(f);
    if (match(f)) return seen;
  }
}

/** Relay frames until one of each `wanted` has arrived, in whatever order. */
async function relayUntilAll(p: RelayPeer, wanted: Array<(f: Frame) => boolean>, timeoutMs: number): Promise<Frame[]> {
  const left = [...wanted];
  return relayUntil(p, (f) => {
    const i = left.findIndex((w) => w(f));
    if (i >= 0) left.splice(i, 1);
    return left.length === 0;
  }, timeoutMs);
}

/** Every fuse line up to the first that matches; fails after `timeoutMs`. */
async function fuseUntil(c: FuseClient, match: (line: string) => boolean, timeoutMs: number): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = await c.next(Math.max(1, deadline - Date.now()));
    seen.push(line);
    if (match(line)) return seen;
  }
}

describe("presence across a fleet of three nodes", { skip: skip ?? undefined }, () => {
  let fleet: Fleet;
  let n: FleetNode[];
  before(async () => {
    // Relay's server pings (25 s) would only add frames these clients must answer; presence here comes from closes and kills.
    fleet = await startFleet({ settings: { "relay.pingIntervalMs": 600_000 } });
    n = fleet.nodes;
  });
  after(async () => {
    for (const c of open) c.terminate();
    await fleet?.close();
  });

  it("relay: a user entering on node A is announced to a member on node C, and its closed socket as an exit", async () => {
    const room = randomUUID();
    const watcher = await relayPeer(n[2]);
    await watcher.entered(room);
    const mover = await relayPeer(n[0]);
    await mover.entered(room);
    assert.deepEqual(await watcher.of("enter", 10_000), { type: "enter", user_id: mover.userId, room_id: room });
    await mover.close();
    assert.deepEqual(await watcher.of("exit", 10_000), { type: "exit", user_id: mover.userId, room_id: room });
  });

  it("really: members present through other dialects on other nodes are listed in get /rooms/<id>, and leave it", async () => {
    const room = randomUUID();
    const instalk = await initialised(await socket(n[0], "/websocket"));
    await instalk.join(room);
    const relay = await relayPeer(n[2]);
    await relay.entered(room);
    const reader = await really(n[1]);
    await eventually("both members listed on n2", async () => {
      const members = await reallyMembers(reader, room);
      return members.includes(instalk.user.id) && members.includes(relay.userId);
    });
    await instalk.close();
    await eventually("the instalk member gone from the list", async () => !(await reallyMembers(reader, room)).includes(instalk.user.id));
    assert.deepEqual(await reallyMembers(reader, room), [relay.userId]);
  });

  it("fuse: a player in the lobby on node A hears a login on node B (here) and its socket closing (kill)", async () => {
    const watcher = await fusePlayer(n[0], "pw");
    const player = await fusePlayer(n[1], "pp");
    await watcher.waitFor((l) => l === `here|${player.name}`, 10_000);
    player.close();
    await watcher.waitFor((l) => l === `kill|${player.name}`, 10_000);
  });

  it("kill -9 of a node: its relay and fuse members are announced gone on both survivors, once, within 30 s", async () => {
    const room = randomUUID();
    const relayWatchers = [await relayPeer(n[0]), await relayPeer(n[1])];
    for (const w of relayWatchers) await w.entered(room);
    const fuseWatchers = [await fusePlayer(n[0], "kw"), await fusePlayer(n[1], "kw")];
    const relayVictim = await relayPeer(n[2]);
    await relayVictim.entered(room);
    const fuseVictim = await fusePlayer(n[2], "kv");
    const victimIs = (f: Frame) => (f.type === "enter" || f.type === "exit") && f.user_id === relayVictim.userId;
    for (const w of relayWatchers) await w.c.waitFor((f) => f.type === "enter" && f.user_id === relayVictim.userId, 10_000);
    for (const w of fuseWatchers) await w.waitFor((l) => l === `here|${fuseVictim.name}`, 10_000);
    const reader = await really(n[0]);
    assert.ok((await reallyMembers(reader, room)).includes(relayVictim.userId));

    const killed = Date.now();
    await fleet.kill(2);
    const exit = { type: "exit", user_id: relayVictim.userId, room_id: room };
    const relaySeen = await Promise.all(relayWatchers.map((w) => relayUntil(w, victimIs, 30_000)));
    for (const seen of relaySeen) assert.deepEqual(seen.at(-1), exit);
    const fuseSeen = await Promise.all(fuseWatchers.map((w) => fuseUntil(w, (l) => l === `kill|${fuseVictim.name}`, 30_000)));
    assert.ok(Date.now() - killed < 30_000, "announced within 30 s");
    assert.ok(!(await reallyMembers(reader, room)).includes(relayVictim.userId), "really no longer lists the relay victim");

    // Exactly once: the survivor that swept n3 announced before taking n3 out of the registry, so once
    // n3 is gone from it, a marker sent through each survivor arrives after any announcement of either.
    await eventually("n3 out of the registry", async () => !(await clusterNodes(n[0].url)).some((x) => x.id === "n3"));
    relayWatchers.forEach((w, i) => w.say(room, `marker-${i}`));
    const markers = ["marker-0", "marker-1"].map((m) => (f: Frame) => f.type === "message" && f.content === m);
    for (const [i, w] of relayWatchers.entries()) relaySeen[i].push(...(await relayUntilAll(w, markers, 10_000)));
    for (const seen of relaySeen) assert.equal(seen.filter(victimIs).length, 1, JSON.stringify(seen));
    fuseWatchers.forEach((w, i) => w.send(`chat|marker-${i}`));
    for (const [i, w] of fuseWatchers.entries()) {
      const wanted = new Set(["chat|done", ...fuseWatchers.map((other, j) => `text|${other.name}|marker-${j}`)]);
      fuseSeen[i].push(...(await fuseUntil(w, (l) => wanted.delete(l) && wanted.size === 0, 10_000)));
    }
    for (const seen of fuseSeen) assert.equal(seen.filter((l) => l === `kill|${fuseVictim.name}` || l === `gone|${fuseVictim.name}`).length, 1, seen.join(" "));
  });
});
