import type { Database } from "better-sqlite3";

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Append-only: never edit a migration that has shipped, add a new one.
 * Each runs in its own IMMEDIATE transaction together with its bookkeeping row,
 * so a crash mid-migration leaves the previous version intact.
 */
const migrations: Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
      -- Counters are separate from events so trimming can never make a seq repeat.
      CREATE TABLE streams (
        stream TEXT PRIMARY KEY,
        seq    INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- The primary key is the (stream, seq) index every read and trim walks.
      CREATE TABLE events (
        stream      TEXT    NOT NULL,
        seq         INTEGER NOT NULL,
        type        TEXT    NOT NULL,
        time        INTEGER NOT NULL,
        sender_id   TEXT    NOT NULL,
        sender_name TEXT    NOT NULL,
        data        TEXT    NOT NULL,
        PRIMARY KEY (stream, seq)
      );

      CREATE TABLE rooms (
        id      TEXT PRIMARY KEY,
        topic   TEXT    NOT NULL,
        closed  INTEGER NOT NULL,
        locked  INTEGER NOT NULL,
        capacity INTEGER,
        creator TEXT,
        admins  TEXT    NOT NULL,
        bans    TEXT    NOT NULL,
        meta    TEXT    NOT NULL,
        created INTEGER NOT NULL
      );

      -- name_key/mail_key hold the case-folded forms: uniqueness and lookups are
      -- case-insensitive beyond ASCII (COLLATE NOCASE would fold ASCII only).
      CREATE TABLE accounts (
        id            TEXT PRIMARY KEY,
        name          TEXT    NOT NULL,
        name_key      TEXT    NOT NULL UNIQUE,
        mail          TEXT,
        mail_key      TEXT UNIQUE,
        password_hash TEXT,
        color         TEXT    NOT NULL,
        created       INTEGER NOT NULL,
        meta          TEXT    NOT NULL
      );

      CREATE TABLE kv (
        ns         TEXT NOT NULL,
        key        TEXT NOT NULL,
        value      TEXT NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (ns, key)
      );
      -- Lets the background purge find expired rows without scanning every entry.
      CREATE INDEX kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: "documents",
    sql: `
      -- A deleted document stays as a tombstone (deleted = 1) so its id answers "gone", not "missing".
      CREATE TABLE documents (
        collection TEXT    NOT NULL,
        id         TEXT    NOT NULL,
        rev        INTEGER NOT NULL,
        owner      TEXT    NOT NULL,
        body       TEXT    NOT NULL,
        created    INTEGER NOT NULL,
        updated    INTEGER NOT NULL,
        deleted    INTEGER NOT NULL,
        PRIMARY KEY (collection, id)
      );
      -- The orders listing walks: a collection's live documents by (created, id), optionally one owner's.
      CREATE INDEX documents_order ON documents (collection, deleted, created, id);
      CREATE INDEX documents_owner ON documents (collection, owner, deleted, created, id);
    `,
  },
  {
    version: 3,
    name: "room revisions",
    sql: `
      -- Room writes are compare-and-swap on this revision (several nodes edit one room).
      -- Rooms stored before it existed count as written once.
      ALTER TABLE rooms ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
    `,
  },
];

export const latestVersion = migrations[migrations.length - 1].version;

function currentVersion(db: Database): number {
  const row = db.prepare<[], { v: number | null }>("SELECT max(version) AS v FROM schema_migrations").get();
  return row?.v ?? 0;
}

export function migrate(db: Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const found = currentVersion(db);
  if (found > latestVersion) {
    // Running old code on a newer schema could corrupt data it does not understand.
    throw new Error(`database schema v${found} is newer than this build (v${latestVersion})`);
  }
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  for (const m of migrations) {
    const apply = db.transaction(() => {
      // Re-checked under the write lock: another process may have migrated meanwhile.
      if (currentVersion(db) >= m.version) return;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
      db.pragma(`user_version = ${m.version}`);
    });
    apply.immediate();
  }
}
