import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../../src/engine/store/sqlite/index.js";
import type { Store } from "../../src/engine/store/types.js";
import { documentsContract } from "./documents.contract.js";
import type { ContractHandle } from "./store.contract.js";

async function openTemp(): Promise<ContractHandle> {
  const dir = await mkdtemp(join(tmpdir(), "switchboard-docs-"));
  const file = join(dir, "store.db");
  const opened: Store[] = [];
  const open = async () => {
    const store = await openSqliteStore({ file });
    opened.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: open,
    async cleanup() {
      for (const s of opened) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

documentsContract("sqlite", openTemp);
