import type { EngineObserver } from "../../observer.js";
import { KV_SWEEP_MS } from "../kv-text.js";
import { redactUrl } from "../../redact.js";
import type { Store } from "../types.js";
import { postgresAccounts } from "./accounts.js";
import { Connection, DEFAULT_CONNECTION, type ConnectionOptions } from "./connection.js";
import { postgresDocuments } from "./documents.js";
import { PgGroupCommit } from "./group-commit.js";
import { postgresHistory } from "./history.js";
import { postgresKv } from "./kv.js";
import { migrate } from "./migrations.js";
import { postgresRooms } from "./rooms.js";

export interface PostgresStoreOptions extends Partial<Omit<ConnectionOptions, "url">> {
  /** postgres://user:password@host:5432/db; never echoed (see redactUrl). */
  url: string;
  /** How often expired kv entries are removed (default 30 s); tests shorten it. */
  sweepMs?: number;
  /** Told how long each group commit took and how many writes it carried. */
  observer?: EngineObserver;
}

export { StoreUnavailableError } from "./connection.js";

/**
 * The durable half of a fleet: every node opens one of these on the same
 * database. Seqs, room and kv compare-and-swaps and document revisions are
 * decided inside PostgreSQL, never in a node's memory, so they hold across
 * nodes. The schema is created or brought up to date on open.
 */
export async function openPostgresStore({ observer, ...options }: PostgresStoreOptions): Promise<Store> {
  const opts: ConnectionOptions = { ...DEFAULT_CONNECTION, ...definedOnly(options), url: options.url };
  try {
    await migrate(opts);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // pg's own messages carry host and port at most; the URL (and its password) only ever redacted.
    throw new Error(`cannot open the PostgreSQL store at ${redactUrl(options.url)}: ${reason}`, { cause: error });
  }

  const db = new Connection(opts);
  const commits = new PgGroupCommit(db, observer);
  const kv = postgresKv(db);
  let closing: Promise<void> | null = null;
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping || !db.healthy()) return;
    sweeping = true;
    kv.sweep()
      .catch(() => undefined) // missed now, swept next time
      .finally(() => (sweeping = false));
  }, options.sweepMs ?? KV_SWEEP_MS);
  // Unref'd: a store left open must not keep the process alive just to sweep.
  sweeper.unref();

  return {
    kind: "postgres",
    history: postgresHistory(db, commits),
    rooms: postgresRooms(db),
    accounts: postgresAccounts(db),
    kv: kv.kv,
    documents: postgresDocuments(db, commits),
    healthy: () => db.healthy(),
    flush: () => commits.flush(),
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        await commits.close();
        await db.close();
      })();
      return closing;
    },
  };
}

/** Options given as undefined fall back to the defaults instead of overriding them. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
