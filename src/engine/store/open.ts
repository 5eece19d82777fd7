import { join } from "node:path";
import type { Config } from "../../config/schema.js";
import { openSqliteStore } from "./sqlite/index.js";
import type { Store } from "./types.js";

/** The store named by configuration; the core only ever sees the `Store` port. */
export function openStore(config: Config): Promise<Store> {
  switch (config.store.kind) {
    case "sqlite":
      return openSqliteStore({ file: join(config.data, "switchboard.db"), synchronous: config.store.synchronous });
  }
}
