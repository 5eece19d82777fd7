import { join } from "node:path";
import type { Config } from "../../config/schema.js";
import type { EngineObserver } from "../observer.js";
import { openPostgresStore } from "./postgres/index.js";
import { openSqliteStore } from "./sqlite/index.js";
import type { Store } from "./types.js";

export { redactUrl } from "../redact.js";

export interface OpenStoreOptions {
  /** Told about each group commit (the server's metrics); nothing by default. */
  observer?: EngineObserver;
}

/**
 * The store named by configuration; the core only ever sees the `Store` port.
 * No URL: the SQLite file in the data folder (one node). A postgres:// URL:
 * PostgreSQL, which several nodes can share.
 */
export function openStore(config: Config, { observer }: OpenStoreOptions = {}): Promise<Store> {
  const { url, synchronous, poolSize } = config.store;
  if (url === "") return openSqliteStore({ file: join(config.data, "switchboard.db"), synchronous, observer });
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgresStore({ url, poolSize, observer });
  // The schema refuses other URLs already; never echo one back, it may hold a password.
  return Promise.reject(new Error("store.url must be empty (SQLite) or a postgres:// URL"));
}
