import pg from "pg";
import type { Store } from "../../src/engine/store/types.js";
import { createTempDatabase, pgReachable, pgSkipReason } from "../helpers/pg.js";
import { openAt, type StoreLocation, type StoreTestOptions } from "./store-location.js";
import type { ContractHandle } from "./store.contract.js";

/**
 * The `skip` option for a PostgreSQL suite: false when the server answers;
 * otherwise the reason, announced loudly once so a skip is never mistaken for a pass.
 */
export async function pgSuiteSkip(what: string): Promise<string | false> {
  if (await pgReachable()) return false;
  const reason = pgSkipReason(what);
  console.warn(`\n*** ${reason} ***\n`);
  return reason;
}

/** One SQL statement on the temp database, outside any store (to look at or tamper with what is stored). */
export async function rawQuery<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A PostgreSQL store on a throwaway database; `cleanup` closes every store opened here and drops the database. */
export async function openTempPostgres(): Promise<ContractHandle & { url: string }> {
  const temp = await createTempDatabase();
  if (!temp) throw new Error(pgSkipReason("this test"));
  const location: StoreLocation = { kind: "postgres", url: temp.url };
  const opened: Store[] = [];
  const open = async (options?: StoreTestOptions) => {
    const store = await openAt(location, options);
    opened.push(store);
    return store;
  };
  try {
    return {
      url: temp.url,
      location,
      store: await open(),
      reopen: open,
      async kvRowCount(ns: string): Promise<number> {
        const rows = await rawQuery<{ n: number }>(temp.url, "SELECT count(*)::int AS n FROM kv WHERE ns = $1", [ns]);
        return rows[0].n;
      },
      async cleanup() {
        try {
          for (const s of opened) await s.close();
        } finally {
          await temp.drop();
        }
      },
    };
  } catch (error) {
    await temp.drop();
    throw error;
  }
}
