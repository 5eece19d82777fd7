// A throwaway PostgreSQL database for one bench run, made on the server the
// --pg admin URL names and dropped again afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh database, or null (with the reason) when the server cannot be reached. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase | { unreachable: string }> {
  const name = `sb_bench_${randomBytes(5).toString("hex")}`;
  try {
    // Our own hex name: identifiers cannot be bound as parameters.
    await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  } catch (err) {
    return { unreachable: err instanceof Error ? err.message : String(err) };
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin(adminUrl, async (c) => {
        await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
      }),
  };
}
