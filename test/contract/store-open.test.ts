// openStore picks the implementation from configuration alone.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defaults, type Config } from "../../src/config/schema.js";
import { openStore } from "../../src/engine/store/open.js";
import { createTempDatabase } from "../helpers/pg.js";
import { pgSuiteSkip } from "./pg-temp.js";

const pgSkip = await pgSuiteSkip("openStore on PostgreSQL");
const config = (data: string, url: string): Config => ({ ...defaults, data, store: { ...defaults.store, url } });

describe("openStore", () => {
  it("opens SQLite in the data folder when no URL is given", async () => {
    const data = await mkdtemp(join(tmpdir(), "switchboard-open-"));
    try {
      const store = await openStore(config(data, ""));
      assert.equal(store.kind, "sqlite");
      assert.equal((await store.history.append("s", { type: "t", time: 1, sender: { id: "u", name: "U" }, data: {} })).seq, 1);
      await store.close();
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });

  it("opens PostgreSQL for a postgres:// or postgresql:// URL", { skip: pgSkip }, async () => {
    const db = await createTempDatabase();
    assert.ok(db);
    try {
      for (const url of [db.url, db.url.replace(/^postgres:/, "postgresql:")]) {
        const store = await openStore(config("/nonexistent", url));
        assert.equal(store.kind, "postgres");
        assert.equal(store.healthy(), true);
        await store.history.append("s", { type: "t", time: 1, sender: { id: "u", name: "U" }, data: {} });
        await store.close();
      }
    } finally {
      await db.drop();
    }
  });

  it("refuses any other URL without echoing it", async () => {
    await assert.rejects(openStore(config("/nonexistent", "mysql://u:secret@h/db")), (e: Error) => !e.message.includes("secret"));
  });
});
