// Throwaway PostgreSQL databases for tests. The server comes from
// SWITCHBOARD_TEST_PG (an admin connection, usually to the `postgres` database);
// each caller gets a database of its own with a random name, dropped afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { redactUrl } from "../../src/engine/redact.js";

export const TEST_PG_URL = process.env.SWITCHBOARD_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TempDatabase {
  /** Connection URL of the new database (same server and credentials as TEST_PG_URL). */
  url: string;
  name: string;
  /** Ends every session on the database and drops it; safe to call twice. */
  drop(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 3_000;

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

let reachable: Promise<boolean> | null = null;

/** Whether the test server answers; asked once per process. */
export function pgReachable(): Promise<boolean> {
  reachable ??= admin((c) => c.query("SELECT 1")).then(
    () => true,
    () => false,
  );
  return reachable;
}

/** The loud line a suite prints when it cannot run: skipped is never the same as passed. */
export function pgSkipReason(what: string): string {
  return `PostgreSQL not reachable at ${redactUrl(TEST_PG_URL)} — SKIPPING ${what} (set SWITCHBOARD_TEST_PG)`;
}

/** A fresh empty database, or null when the server cannot be reached. */
export async function createTempDatabase(): Promise<TempDatabase | null> {
  if (!(await pgReachable())) return null;
  const name = `sb_test_${randomBytes(6).toString("hex")}`;
  // The name is ours (hex), so it can go into the statement text; identifiers cannot be bound.
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | null = null;
  return {
    url: url.toString(),
    name,
    drop() {
      dropped ??= dropDatabase(name);
      return dropped;
    },
  };
}

async function dropDatabase(name: string): Promise<void> {
  await admin(async (c) => {
    // A store under test may still hold (or be opening) sessions: end them until the drop goes through.
    for (let attempt = 0; ; attempt++) {
      await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
        return;
      } catch (error) {
        // 55006: still being accessed (a session arrived after the terminate).
        if ((error as { code?: unknown }).code !== "55006" || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
}
