import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../../src/engine/store/sqlite/index.js";
import type { Store } from "../../src/engine/store/types.js";
import type { ContractHandle } from "./store.contract.js";

/** A SQLite store in a fresh temp folder (a nested path, to prove the folder is made), removed by `cleanup`. */
export async function openTempSqlite(): Promise<ContractHandle & { file: string }> {
  const dir = await mkdtemp(join(tmpdir(), "switchboard-store-"));
  const file = join(dir, "nested", "store.db");
  const opened: Store[] = [];
  const open = async () => {
    const store = await openSqliteStore({ file });
    opened.push(store);
    return store;
  };
  return {
    file,
    store: await open(),
    reopen: open,
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
