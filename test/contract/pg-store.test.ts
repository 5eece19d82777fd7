// PostgreSQL specifics the portable contract cannot see: concurrent migration,
// outages, batch atomicity against the real server, lock order between nodes,
// and that the connection string never leaks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { latestVersion } from "../../src/engine/store/postgres/migrations.js";
import { openPostgresStore } from "../../src/engine/store/postgres/index.js";
import { redactUrl } from "../../src/engine/store/open.js";
import type { NewEvent, Store } from "../../src/engine/store/types.js";
import { createTempDatabase, TEST_PG_URL, type TempDatabase } from "../helpers/pg.js";
import { startPgProxy } from "./pg-proxy.js";
import { openTempPostgres, pgSuiteSkip, rawQuery } from "./pg-temp.js";
import { withHandle } from "./sqlite-temp.js";

const skip = await pgSuiteSkip("postgres store specifics");
const withTemp = (fn: (h: Awaited<ReturnType<typeof openTempPostgres>>) => Promise<void>) => withHandle(openTempPostgres, fn);
const event = (type: string, n = 0): NewEvent => ({ type, time: 2, sender: { id: "u", name: "U" }, data: { n } });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A throwaway database with nothing in it, dropped after `fn` (stores `fn` opens must be closed by it). */
const withEmptyDatabase = (fn: (db: TempDatabase) => Promise<void>) => async () => {
  const db = await createTempDatabase();
  assert.ok(db, "PostgreSQL reachable");
  try {
    await fn(db);
  } finally {
    await db.drop();
  }
};

describe("postgres store", { skip }, () => {
  it("migrates exactly once when three nodes start on a fresh database at the same moment", withEmptyDatabase(async (db) => {
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url: db.url, poolSize: 2 })));
    try {
      const rows = await rawQuery<{ version: number; n: number }>(
        db.url, "SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version",
      );
      assert.deepEqual(rows, range(1, latestVersion).map((version) => ({ version, n: 1 })));
      // All three work on the one schema, and a later start changes nothing.
      const seqs = await Promise.all(stores.map((s) => s.history.append("s", event("t"))));
      assert.deepEqual(seqs.map((e) => e.seq).sort(), [1, 2, 3]);
      await (await openPostgresStore({ url: db.url })).close();
      assert.equal((await rawQuery(db.url, "SELECT 1 FROM schema_migrations")).length, latestVersion);
    } finally {
      for (const s of stores) await s.close();
    }
  }));

  it("refuses to run on a schema newer than it knows", withEmptyDatabase(async (db) => {
    await (await openPostgresStore({ url: db.url })).close();
    await rawQuery(db.url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)", [latestVersion + 1]);
    await assert.rejects(openPostgresStore({ url: db.url }), /newer than this build/);
  }));

  it("rejects every write of a batch whose statement fails, and keeps none of it", withTemp(async (h) => {
    const s = h.store;
    await s.history.append("s", event("ok"));
    await s.documents.insert({ collection: "c", id: "d0", rev: 1, owner: "o", body: {}, created: 1, updated: 1, deleted: false });
    // Planted from outside: aborts the batch statement from inside the server.
    await rawQuery(h.url, `CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.type = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$`);
    await rawQuery(h.url, "CREATE TRIGGER boom BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION boom()");
    const settled = await Promise.allSettled([
      s.history.append("s", event("ok")),
      s.history.bump("s"),
      s.history.bump("other"),
      s.documents.insert({ collection: "c", id: "d1", rev: 1, owner: "o", body: {}, created: 2, updated: 2, deleted: false }),
      s.history.append("s", event("boom")),
    ]);
    assert.deepEqual(settled.map((r) => r.status), ["rejected", "rejected", "rejected", "rejected", "rejected"]);
    assert.equal(await s.history.lastSeq("s"), 1);
    assert.equal(await s.history.lastSeq("other"), 0);
    assert.equal(await s.documents.get("c", "d1"), null);
    await rawQuery(h.url, "DROP TRIGGER boom ON events");
    assert.equal((await s.history.append("s", event("ok"))).seq, 2);
  }));

  it("fails a write PostgreSQL cannot take on its own, not the batch it would have joined", withTemp(async (h) => {
    const settled = await Promise.allSettled([
      h.store.history.append("s", event("ok", 1)),
      h.store.history.append("bad\u0000stream", event("ok")),
      h.store.history.append("s", { ...event("ok"), time: 1.5 }),
      h.store.history.append("s", event("ok", 2)),
    ]);
    assert.deepEqual(settled.map((r) => r.status), ["fulfilled", "rejected", "rejected", "fulfilled"]);
    const held = await h.store.history.read("s", { limit: 10, take: "oldest" });
    assert.deepEqual(held.map((e) => [e.seq, e.data.n]), [[1, 1], [2, 2]]);
  }));

  it("commits one turn's writes as one transaction, each stream numbered in call order", withTemp(async (h) => {
    const streams = ["b", "a", "c"];
    const stored = await Promise.all(range(0, 299).map((i) => h.store.history.append(streams[i % 3], event("t", i))));
    for (const name of streams) {
      const mine = stored.filter((e) => e.stream === name);
      assert.deepEqual(mine.map((e) => e.seq), range(1, 100));
      assert.deepEqual(mine.map((e) => e.data.n), range(0, 99).map((k) => k * 3 + streams.indexOf(name)));
    }
    // xmin is the id of the transaction that wrote a row: one for all 300, not one per write.
    const rows = await rawQuery<{ n: number }>(h.url, "SELECT count(DISTINCT xmin::text)::int AS n FROM events");
    assert.equal(rows[0].n, 1);
  }));

  it("never deadlocks two nodes appending to the same streams in opposite orders", withTemp(async (h) => {
    const peer = await h.reopen();
    const streams = ["s1", "s2", "s3", "s4"];
    const burst = (s: Store, order: string[]) => Promise.all(range(1, 50).flatMap(() => order.map((name) => s.history.append(name, event("t")))));
    // Each round, both nodes commit a batch touching all four counters at the same moment.
    for (let round = 0; round < 10; round++) await Promise.all([burst(h.store, streams), burst(peer, [...streams].reverse())]);
    for (const name of streams) {
      const held = await h.store.history.read(name, { limit: 10_000, take: "oldest" });
      assert.deepEqual(held.map((e) => e.seq), range(1, 1000), `${name} gapless`);
    }
  }));

  it("turns unhealthy when the database goes away, rejects writes promptly, and recovers by itself", withTemp(async (h) => {
    const proxy = await startPgProxy(h.url);
    const store = await openPostgresStore({ url: proxy.url, poolSize: 3, probeMs: 100, connectTimeoutMs: 1_000 });
    try {
      assert.equal((await store.history.append("s", event("t"))).seq, 1);
      assert.equal(store.healthy(), true);
      proxy.cut();
      // The pool's idle connections die with the proxy's; the first write after that reports it at the latest.
      await store.history.append("s", event("t")).catch(() => undefined);
      await waitFor("unhealthy", () => !store.healthy());
      const t0 = Date.now();
      const during = await Promise.allSettled([store.history.append("s", event("t")), store.history.bump("s"), store.rooms.get("r")]);
      assert.deepEqual(during.map((r) => r.status), ["rejected", "rejected", "rejected"]);
      assert.ok(Date.now() - t0 < 1_000, "rejected at once, not after a timeout");
      assert.equal(store.healthy(), false, "probes keep failing while it is down");
      proxy.restore();
      await waitFor("healthy again", () => store.healthy());
      // The failed writes took no seq.
      assert.equal((await store.history.append("s", event("t"))).seq, 2);
      assert.equal(await store.history.lastSeq("s"), 2);
    } finally {
      await store.close();
      await proxy.close();
    }
  }));

  it("never hangs when the database stops answering: writes time out and reject", withTemp(async (h) => {
    const proxy = await startPgProxy(h.url);
    const store = await openPostgresStore({ url: proxy.url, poolSize: 2, probeMs: 100, connectTimeoutMs: 1_000, queryTimeoutMs: 1_500 });
    try {
      await store.history.append("s", event("t"));
      proxy.blackhole();
      const t0 = Date.now();
      await assert.rejects(store.history.append("s", event("t")));
      assert.ok(Date.now() - t0 < 10_000, "bounded by the query timeout");
      assert.equal(store.healthy(), false);
      proxy.restore();
      await waitFor("healthy again", () => store.healthy());
      const next = await store.history.append("s", event("t"));
      // A write whose answer never came may still have committed: the next seq is 2 or 3, never a repeat.
      assert.ok(next.seq === 2 || next.seq === 3);
      assert.deepEqual((await store.history.read("s", { limit: 10, take: "oldest" })).map((e) => e.seq), range(1, next.seq));
    } finally {
      await store.close();
      await proxy.close();
    }
  }));

  it("survives its connections being killed from the server side", withTemp(async (h) => {
    await h.store.history.append("s", event("t"));
    const killed = await rawQuery<{ ok: boolean }>(
      h.url,
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'switchboard'",
    );
    assert.ok(killed.length > 0);
    // Idle clients die without a query to report to: the pool's error listener keeps the process up.
    await waitFor("a write going through again", async () => {
      if (!h.store.healthy()) return false;
      return h.store.history.append("s", event("t")).then(() => true, () => false);
    });
    assert.deepEqual((await h.store.history.read("s", { limit: 10, take: "oldest" })).map((e) => e.seq), range(1, await h.store.history.lastSeq("s")));
  }));

  it("sweeps a backlog bigger than one sweep statement", withTemp(async (h) => {
    await rawQuery(h.url, `INSERT INTO kv (ns, key, value, expires_at)
      SELECT 'old', 'k' || i, '{}', $1 FROM generate_series(1, 2500) AS i`, [Date.now() - 1]);
    await h.store.kv.put("old", "live", {}, null);
    await h.reopen({ sweepMs: 25 });
    await waitFor("the backlog swept", async () => (await h.kvRowCount("old")) === 1);
    assert.deepEqual(await h.store.kv.get("old", "live"), {});
  }));

  it("keeps the password out of errors", async () => {
    const secret = "s3cr3t-pw";
    const missing = new URL(TEST_PG_URL);
    missing.password = secret;
    missing.pathname = "/sb_test_does_not_exist";
    const error = await openPostgresStore({ url: missing.toString() }).then(
      () => assert.fail("opened a database that does not exist"),
      (e: unknown) => e as Error,
    );
    assert.ok(!error.message.includes(secret), error.message);
    assert.ok(!String(error.stack).includes(secret));
    assert.match(error.message, /\*\*\*/);
  });
});

describe("redactUrl", () => {
  it("hides the password wherever it is given", () => {
    assert.equal(redactUrl("postgres://app:hunter2@db.internal:5432/sb"), "postgres://app:***@db.internal:5432/sb");
    assert.equal(redactUrl("postgresql://app@db/sb?sslmode=require&password=hunter2"), "postgresql://app@db/sb?sslmode=require&password=***");
    assert.equal(redactUrl("postgres://db/sb"), "postgres://db/sb");
    assert.ok(!redactUrl("postgres://app:hun ter2@db:x/sb").includes("hun"));
  });
});
