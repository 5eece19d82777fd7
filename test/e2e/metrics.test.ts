import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { createTempDatabase, pgReachable, pgSkipReason, type TempDatabase } from "../helpers/pg.js";
import { initialised, newRoom, type Peer } from "../helpers/instalk.js";
import { redisSkipReason, startRedis, type TestRedis } from "../helpers/redis.js";
import type { TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";
import { admin, ADMIN_KEY, auth, ok, send, startAdminServer, until } from "./admin-client.js";

/**
 * /metrics on a real server: what the issue asks operators to graph moves
 * with real traffic. Values are only compared with what the test itself
 * caused (counts, never durations): the machine may be busy.
 */

interface Scrape {
  /** `name{labels}` → value, exactly as exposed. */
  series: Map<string, number>;
  /** Every metric the registry declares (its HELP line), moved yet or not. */
  names: Set<string>;
}

async function scrape(t: TestServer): Promise<Scrape> {
  const res = await fetch(`${t.url}/metrics`);
  assert.equal(res.status, 200);
  const series = new Map<string, number>();
  const names = new Set<string>();
  for (const line of (await res.text()).split("\n")) {
    if (line.startsWith("# HELP ")) names.add(line.split(" ")[2]);
    else if (line !== "" && !line.startsWith("#")) {
      const space = line.lastIndexOf(" ");
      series.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
  }
  return { series, names };
}

const value = (s: Scrape, key: string): number => s.series.get(key) ?? 0;

/** How much each series grew between two scrapes. */
const grew = (before: Scrape, after: Scrape, key: string): number => value(after, key) - value(before, key);

/** A room with `n` members, and `count` messages from the first that every member has received. */
async function traffic(t: TestServer, sockets: TestClient[], n: number, count: number): Promise<void> {
  const room = newRoom("metrics");
  const peers: Peer[] = [];
  for (let i = 0; i < n; i++) {
    const c = await TestClient.connect(t.ws("/websocket"));
    sockets.push(c);
    const p = await initialised(c);
    await p.join(room);
    peers.push(p);
  }
  for (let i = 0; i < count; i++) peers[0].say(room, `m${i}`);
  for (const p of peers) await p.waitFor((f) => f.r === room && f.o === "msg" && f.data.body === `m${count - 1}`, 15_000);
}

/** The stored-event path every node has: store commit, broker publish, fan-out, deliveries. */
function assertMessagePath(before: Scrape, after: Scrape, messages: number, members: number): void {
  const commits = grew(before, after, "switchboard_store_commit_seconds_count");
  assert.ok(commits >= 1, `store commits observed (${commits})`);
  assert.equal(grew(before, after, "switchboard_store_commit_batch_size_count"), commits, "one batch size per commit");
  // Each commit carried at least one write, and the messages were among them.
  assert.ok(grew(before, after, "switchboard_store_commit_batch_size_sum") >= Math.max(commits, messages));
  assert.ok(grew(before, after, "switchboard_broker_publish_seconds_count") >= messages, "every stored message was published");
  assert.ok(grew(before, after, "switchboard_publish_to_fanout_seconds_count") >= messages, "every stored message was fanned out here");
  assert.ok(grew(before, after, "switchboard_deliveries_total") >= messages * members, "each message went to each member");
  // A histogram's buckets are cumulative: the +Inf bucket holds every observation.
  assert.equal(value(after, 'switchboard_store_commit_seconds_bucket{le="+Inf"}'), value(after, "switchboard_store_commit_seconds_count"));
}

describe("metrics on one node (SQLite, in-process broker)", () => {
  let t: TestServer;
  const sockets: TestClient[] = [];
  before(async () => {
    // Two wrong passwords for a name, then its logins are refused as rate-limited.
    t = await startAdminServer({ auth: { adminKey: ADMIN_KEY, loginFailuresPerName: 2 } });
  });
  after(async () => {
    for (const c of sockets) c.terminate();
    await t.stop();
  });

  it("instalk messages move the store commit and batch size, broker publish, fan-out latency and deliveries", async () => {
    const before = await scrape(t);
    await traffic(t, sockets, 3, 5);
    assertMessagePath(before, await scrape(t), 5, 3);
  });

  it("refused passwords, tokens, session keys and admin keys are counted by credential and reason", async () => {
    const before = await scrape(t);
    const name = `metrics-${process.pid % 100_000}`;
    const account = await ok(t, "POST", "/api/admin/accounts", { name, password: "correct horse battery" }, 201);
    for (let i = 0; i < 3; i++) await send(t, "POST", "/auth/login", { name, password: "wrong horse battery" });
    assert.equal((await send(t, "GET", "/api/users/me", undefined, { authorization: "Bearer not-a-token" })).status, 401);

    const short = await ok(t, "POST", `/api/admin/accounts/${account.id}/tokens`, { ttlSeconds: 1 }, 201);
    const revoked = await ok(t, "POST", `/api/admin/accounts/${account.id}/tokens`, {}, 201);
    await ok(t, "POST", `/api/admin/users/${account.id}/revoke`, {});
    assert.equal((await send(t, "GET", "/api/users/me", undefined, auth(revoked.accessToken))).status, 401);
    // Past the short token's expiry (JWT times are whole seconds).
    await until(() => Date.now() > Date.parse(short.expiresAt) + 50, "the 1 s token to expire", 5_000);
    assert.equal((await send(t, "GET", "/api/users/me", undefined, auth(short.accessToken))).status, 401);

    assert.equal((await fetch(`${t.url}/relay/sse?key=no-such-key`)).status, 401);
    assert.equal((await send(t, "GET", "/api/admin/stats", undefined, auth("a-wrong-admin-key-0000"))).status, 401);

    const now = await scrape(t);
    const failures = (credential: string, reason: string) => grew(before, now, `switchboard_auth_failures_total{credential="${credential}",reason="${reason}"}`);
    assert.equal(failures("password", "invalid"), 2);
    assert.equal(failures("password", "rate-limited"), 1);
    assert.equal(failures("token", "invalid"), 1);
    assert.equal(failures("token", "revoked"), 1);
    // A token that expired since the revocation is refused as expired: expiry is checked first.
    assert.equal(failures("token", "expired"), 1);
    assert.equal(failures("session-key", "invalid"), 1);
    assert.equal(failures("admin-key", "invalid"), 1);
  });

  it("the process's own metrics include the event-loop lag", async () => {
    const s = await scrape(t);
    for (const name of ["nodejs_eventloop_lag_seconds", "nodejs_eventloop_lag_p99_seconds", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes"]) {
      assert.ok(s.names.has(name), name);
    }
    assert.ok(value(s, "nodejs_eventloop_lag_p99_seconds") >= 0);
  });

  it("the admin stats carry this node's messages per second", async () => {
    const { body } = await admin(t, "GET", "/api/admin/stats");
    assert.deepEqual(Object.keys(body.rates).sort(), ["messagesIn", "messagesOut"]);
    assert.ok(body.rates.messagesIn >= 0 && body.rates.messagesOut >= 0, JSON.stringify(body.rates));
  });

  it("every metric the server declares is documented, and the Grafana dashboard asks only for declared metrics", async () => {
    const { names } = await scrape(t);
    const doc = readFileSync("docs/operations.md", "utf8");
    const section = doc.slice(doc.indexOf("\n## Metrics"));
    const documented = new Set([...section.matchAll(/`((?:switchboard|nodejs|process)_[a-z0-9_]+)`/g)].map((m) => m[1]));
    const ours = [...names].filter((n) => n.startsWith("switchboard_"));
    assert.deepEqual(ours.filter((n) => !documented.has(n)), [], "declared but not documented");
    assert.deepEqual([...documented].filter((n) => !names.has(n)), [], "documented but not declared");

    const dashboard = JSON.parse(readFileSync("docs/grafana-dashboard.json", "utf8")) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    assert.ok(dashboard.panels.length >= 10);
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets ?? []) {
        for (const [name] of expr.matchAll(/\b(?:switchboard|nodejs|process)_[a-z0-9_]+/g)) {
          const base = name.replace(/_(bucket|sum|count)$/, "");
          assert.ok(names.has(name) || names.has(base), `panel "${panel.title}" asks for ${name}`);
        }
      }
    }
  });
});

const pgSkip = (await pgReachable()) ? null : pgSkipReason("the PostgreSQL + Redis metrics test");
if (pgSkip) console.warn(`\n${"!".repeat(100)}\n!!! ${pgSkip}\n${"!".repeat(100)}\n`);
const skip = pgSkip ?? redisSkipReason();

describe("metrics on PostgreSQL and Redis", { skip: skip ?? undefined }, () => {
  let db: TempDatabase;
  let redis: TestRedis;
  let t: TestServer;
  const sockets: TestClient[] = [];
  before(async () => {
    db = (await createTempDatabase())!;
    redis = await startRedis();
    t = await startAdminServer({ store: { url: db.url }, broker: { url: redis.url, prefix: `sb-metrics-${process.pid}:` } });
  });
  after(async () => {
    for (const c of sockets) c.terminate();
    await t?.stop();
    await redis?.stop();
    await db?.drop();
  });

  it("the PostgreSQL group commit and the Redis publish are measured like SQLite's and the local broker's", async () => {
    const before = await scrape(t);
    await traffic(t, sockets, 2, 5);
    assertMessagePath(before, await scrape(t), 5, 2);
  });
});
