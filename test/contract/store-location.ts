// Where a contract store's data lives, in a form that crosses a process boundary,
// so a worker process can open its own, independent store on the same data.
import { openPostgresStore } from "../../src/engine/store/postgres/index.js";
import { openSqliteStore } from "../../src/engine/store/sqlite/index.js";
import type { Store } from "../../src/engine/store/types.js";

export type StoreLocation = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

export interface StoreTestOptions {
  /** How often the store sweeps expired kv entries (the default is 30 s). */
  sweepMs?: number;
}

/** Opens a new store (its own connection or pool) on the data at `location`. */
export function openAt(location: StoreLocation, options: StoreTestOptions = {}): Promise<Store> {
  return location.kind === "sqlite"
    ? openSqliteStore({ file: location.file, ...options })
    : openPostgresStore({ url: location.url, poolSize: 4, ...options });
}
