// The ceiling a store sits under: how fast the same database takes rows shaped
// like Switchboard's stored messages when nothing else is in the way (no server,
// no sockets, no seq counters), written in big batches by one writer.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import pg from "pg";
import { BODY } from "./contestants.js";

export interface RawInsertResult {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** Rows per transaction (SQLite) or per INSERT statement (PostgreSQL, each its own transaction). */
  batch: number;
}

const BATCH = 1_000;
/** The data column as instalk stores a message: the same bytes a server write carries. */
const DATA = JSON.stringify({ body: BODY, mentions: [], attachments: [] });
const COLUMNS = 7;

/** SQLite: the events table's shape and the server's pragmas (WAL, synchronous NORMAL); 1,000-row transactions. */
export async function rawSqlite(seconds: number): Promise<RawInsertResult> {
  const dir = await mkdtemp(join(tmpdir(), "sb-bench-raw-"));
  const db = new Database(join(dir, "raw.db"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(`CREATE TABLE events (
      stream TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, time INTEGER NOT NULL,
      sender_id TEXT NOT NULL, sender_name TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (stream, seq))`);
    const insert = db.prepare("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)");
    let seq = 0;
    const batch = db.transaction(() => {
      for (let i = 0; i < BATCH; i++) {
        seq++;
        insert.run(`room:raw-${seq % 200}`, seq, "msg", Date.now(), "sender", "Sender", DATA);
      }
    });
    return await timed(seconds, async () => batch.immediate());
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** PostgreSQL: the events table's shape; each statement a 1,000-row multi-row INSERT (its own transaction). */
export async function rawPostgres(url: string, seconds: number): Promise<RawInsertResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(`CREATE TABLE raw_events (
      stream text COLLATE "C" NOT NULL, seq bigint NOT NULL, type text NOT NULL, time bigint NOT NULL,
      sender_id text NOT NULL, sender_name text NOT NULL, data text NOT NULL, PRIMARY KEY (stream, seq))`);
    const placeholders = Array.from({ length: BATCH }, (_, r) =>
      `(${Array.from({ length: COLUMNS }, (_, c) => `$${r * COLUMNS + c + 1}`).join(", ")})`).join(", ");
    const statement = { name: "raw_insert", text: `INSERT INTO raw_events VALUES ${placeholders}` };
    let seq = 0;
    return await timed(seconds, async () => {
      const values: unknown[] = [];
      for (let i = 0; i < BATCH; i++) {
        seq++;
        values.push(`room:raw-${seq % 200}`, seq, "msg", Date.now(), "sender", "Sender", DATA);
      }
      await client.query({ ...statement, values });
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `batch` back to back for `seconds` (one batch past the deadline at most). */
async function timed(seconds: number, batch: () => Promise<unknown>): Promise<RawInsertResult> {
  // One untimed batch first: table creation, the first page splits, statement preparation.
  await batch();
  let rows = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await batch();
    rows += BATCH;
  }
  const elapsed = (performance.now() - t0) / 1000;
  return { rows, seconds: elapsed, rowsPerSecond: rows / elapsed, batch: BATCH };
}
