import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Store } from "../../src/engine/store/types.js";
import { openAt, type StoreLocation, type StoreTestOptions } from "./store-location.js";
import type { ContractHandle } from "./store.contract.js";

/** A SQLite store in a fresh temp folder (a nested path, to prove the folder is made), removed by `cleanup`. */
export async function openTempSqlite(): Promise<ContractHandle & { file: string }> {
  const dir = await mkdtemp(join(tmpdir(), "switchboard-store-"));
  const file = join(dir, "nested", "store.db");
  const location: StoreLocation = { kind: "sqlite", file };
  const opened: Store[] = [];
  const open = async (options?: StoreTestOptions) => {
    const store = await openAt(location, options);
    opened.push(store);
    return store;
  };
  return {
    file,
    location,
    store: await open(),
    reopen: open,
    async kvRowCount(ns: string): Promise<number> {
      const raw = new Database(file, { readonly: true });
      try {
        return (raw.prepare("SELECT count(*) AS n FROM kv WHERE ns = ?").get(ns) as { n: number }).n;
      } finally {
        raw.close();
      }
    },
    async cleanup() {
      for (const s of opened) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` with a handle from `open`, cleaning up whatever happens. */
export const withHandle =
  <H extends ContractHandle>(open: () => Promise<H>, fn: (h: H) => Promise<void>) =>
  async (): Promise<void> => {
    const handle = await open();
    try {
      await fn(handle);
    } finally {
      await handle.cleanup();
    }
  };
