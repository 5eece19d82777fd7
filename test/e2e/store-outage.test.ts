// PostgreSQL unreachable for a while under a running server: /readyz says 503,
// senders of writes that could not commit are told, nothing acknowledged is
// lost, and everything resumes by itself when the database is back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { initialised, newRoom, type Frame, type Peer } from "../helpers/instalk.js";
import { createTempDatabase, pgReachable, pgSkipReason, TEST_PG_URL, type TempDatabase } from "../helpers/pg.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";

const skip = (await pgReachable()) ? null : pgSkipReason("the store outage test");
if (skip) console.warn(`\n${"!".repeat(100)}\n!!! ${skip}\n${"!".repeat(100)}\n`);

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const readyz = async (t: TestServer) => (await fetch(`${t.url}/readyz`)).status;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("PostgreSQL outage under a running server", { skip: skip ?? undefined }, () => {
  let db: TempDatabase;
  let t: TestServer;
  const sockets: TestClient[] = [];
  before(async () => {
    db = (await createTempDatabase())!;
    t = await startTestServer({ store: { url: db.url }, limits: { messagesPerSecond: 10_000, burst: 10_000 } });
  });
  after(async () => {
    for (const c of sockets) c.terminate();
    await t?.stop();
    await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await db?.drop();
  });

  it("refuses what it cannot commit, reports 503, loses nothing acknowledged, and recovers by itself", async () => {
    const r = newRoom("pg");
    const connect = async (): Promise<Peer> => {
      const c = await TestClient.connect(t.ws("/websocket"));
      sockets.push(c);
      return initialised(c);
    };
    const sender = await connect();
    await sender.join(r);
    const acked = new Map<string, number>();
    const refused: string[] = [];
    let i = 0;
    const send = async (): Promise<void> => {
      const body = `m${i++}`;
      sender.say(r, body);
      // A refusal echoes r and o (the dialect's error frame): it is told apart by its `error`.
      const f: Frame = await sender.waitFor((x) => "error" in x || (x.r === r && x.o === "msg" && x.data?.body === body), 15_000);
      if (!("error" in f)) acked.set(body, f.data.nr as number);
      else refused.push(body);
    };
    for (let k = 0; k < 10; k++) await send();
    assert.equal(await readyz(t), 200);

    // The database goes away: no new connections, the existing ones cut.
    await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}'`);
    await until("readyz 503 while the store is down", async () => {
      await send();
      return (await readyz(t)) === 503;
    });
    for (let k = 0; k < 3; k++) await send();
    assert.ok(refused.length >= 3, `senders were told their writes failed (refused: ${refused.length})`);

    // Back: the server resumes on its own.
    await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    await until("readyz 200 again", async () => (await readyz(t)) === 200);
    const before = acked.size;
    for (let k = 0; k < 10; k++) await send();
    assert.equal(acked.size, before + 10, "writes succeed again");

    // Every acknowledged message is stored, with its nr; nrs are gapless.
    const reader = await connect();
    await reader.join(r);
    const all = (await reader.history(r, "sync", { from: 1 })).messages as Frame[];
    const nrs = all.map((m) => m.data.nr as number);
    assert.deepEqual(nrs, Array.from({ length: nrs.length }, (_, k) => k + 1));
    const stored = new Map(all.map((m) => [m.data.body as string, m.data.nr as number]));
    for (const [body, nr] of acked) assert.equal(stored.get(body), nr, `acknowledged ${body} is stored`);
  });
});
