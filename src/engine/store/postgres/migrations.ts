import pg from "pg";
import { clientConfig, endQuietly, type ConnectionOptions } from "./connection.js";

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Append-only: never edit a migration that has shipped, add a new one.
 * Ids are COLLATE "C" wherever an order is listed or locked in, so order is byte
 * order (as in SQLite) whatever the database's locale. JSON is kept as text, byte
 * for byte as written (jsonb would reorder keys). Times are ms since the epoch.
 */
const migrations: Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
      -- Counters are separate from events so trimming can never make a seq repeat;
      -- the row is also the lock that orders appends to one stream across nodes.
      CREATE TABLE streams (
        stream text COLLATE "C" PRIMARY KEY,
        seq    bigint NOT NULL
      );

      CREATE TABLE events (
        stream      text COLLATE "C" NOT NULL,
        seq         bigint NOT NULL,
        type        text   NOT NULL,
        time        bigint NOT NULL,
        sender_id   text   NOT NULL,
        sender_name text   NOT NULL,
        data        text   NOT NULL,
        PRIMARY KEY (stream, seq)
      );

      CREATE TABLE rooms (
        id       text COLLATE "C" PRIMARY KEY,
        topic    text    NOT NULL,
        closed   boolean NOT NULL,
        locked   boolean NOT NULL,
        capacity bigint,
        creator  text,
        admins   text    NOT NULL,
        bans     text    NOT NULL,
        meta     text    NOT NULL,
        created  bigint  NOT NULL,
        rev      bigint  NOT NULL
      );

      -- name_key/mail_key hold the case-folded forms (folded by the store, beyond ASCII).
      CREATE TABLE accounts (
        id            text COLLATE "C" PRIMARY KEY,
        name          text   NOT NULL,
        name_key      text   NOT NULL CONSTRAINT accounts_name_unique UNIQUE,
        mail          text,
        mail_key      text CONSTRAINT accounts_mail_unique UNIQUE,
        password_hash text,
        color         text   NOT NULL,
        created       bigint NOT NULL,
        meta          text   NOT NULL
      );

      CREATE TABLE kv (
        ns         text COLLATE "C" NOT NULL,
        key        text COLLATE "C" NOT NULL,
        value      text   NOT NULL,
        expires_at bigint,
        PRIMARY KEY (ns, key)
      );
      -- Lets the sweep find expired rows without scanning every entry.
      CREATE INDEX kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;

      -- A deleted document stays as a tombstone so its id answers "gone", not "missing".
      CREATE TABLE documents (
        collection text COLLATE "C" NOT NULL,
        id         text COLLATE "C" NOT NULL,
        rev        bigint  NOT NULL,
        owner      text COLLATE "C" NOT NULL,
        body       text    NOT NULL,
        created    bigint  NOT NULL,
        updated    bigint  NOT NULL,
        deleted    boolean NOT NULL,
        PRIMARY KEY (collection, id)
      );
      CREATE INDEX documents_order ON documents (collection, deleted, created, id);
      CREATE INDEX documents_owner ON documents (collection, owner, deleted, created, id);
    `,
  },
  {
    version: 2,
    name: "account name order",
    sql: `
      -- Accounts are listed in byte order of the folded name; the unique index on
      -- name_key is in the database's collation, which that ORDER BY cannot walk.
      CREATE INDEX accounts_name_order ON accounts (name_key COLLATE "C");
    `,
  },
];

export const latestVersion = migrations[migrations.length - 1].version;

/** Any fixed number does; it only has to be the same on every node ("SWBD"). Advisory locks are per database. */
const MIGRATION_LOCK = 0x53574244;

/** Waiting for another node's migration may take a while, but not forever. */
const MIGRATION_TIMEOUT_MS = 120_000;

async function currentVersion(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations");
  return rows[0]?.v ?? 0;
}

/**
 * Brings the schema to `latestVersion`. Several nodes starting at once queue on
 * one advisory lock (held by a dedicated session, released by the unlock or,
 * should this process die, by the session's end), so each version is applied
 * exactly once; each runs in one transaction with its bookkeeping row.
 */
export async function migrate(opts: ConnectionOptions): Promise<void> {
  const client = new pg.Client({ ...clientConfig(opts), query_timeout: MIGRATION_TIMEOUT_MS, statement_timeout: undefined });
  client.on("error", () => undefined); // a dying session surfaces as the failing query below
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text    NOT NULL,
      applied_at bigint  NOT NULL
    )`);
    const found = await currentVersion(client);
    if (found > latestVersion) {
      // Running old code on a newer schema could corrupt data it does not understand.
      throw new Error(`database schema v${found} is newer than this build (v${latestVersion})`);
    }
    for (const m of migrations) {
      if (m.version <= found) continue;
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, Date.now()]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    }
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
  } finally {
    await endQuietly(client);
  }
}
