import pg from "pg";

/** Settings the pool and the migration client share; everything bounded so nothing waits forever. */
export interface ConnectionOptions {
  url: string;
  poolSize: number;
  /** Longest wait for a new connection. */
  connectTimeoutMs: number;
  /** Longest a statement may run before the client gives up on it. */
  queryTimeoutMs: number;
  /** Probe interval while the database is unreachable. */
  probeMs: number;
}

export const DEFAULT_CONNECTION = {
  poolSize: 10,
  connectTimeoutMs: 2_000,
  queryTimeoutMs: 10_000,
  probeMs: 500,
} as const;

/** While healthy, a probe this often notices an outage even when nothing is being written. */
const IDLE_PROBE_MS = 5_000;

/** int8 (counts, seqs, ms times) as JS numbers: every value this store keeps is far below 2^53. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === pg.types.builtins.INT8) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function clientConfig(opts: ConnectionOptions): pg.ClientConfig {
  return {
    connectionString: opts.url,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    // The client's own timeout covers a silent network; the server's cancels first and cleanly.
    query_timeout: opts.queryTimeoutMs,
    statement_timeout: Math.max(1, opts.queryTimeoutMs - 1_000),
    // TCP keepalive notices a peer that vanished without a word (idle pooled sockets included).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: "switchboard",
    types,
  };
}

/**
 * Ends a standalone client without ever waiting long: on a socket that went silent,
 * end() can wait for a goodbye that never comes.
 */
export async function endQuietly(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1_000)));
  await Promise.race([client.end().catch(() => undefined), bound]);
  clearTimeout(timer);
}

export class StoreUnavailableError extends Error {
  constructor() {
    super("PostgreSQL store is unavailable (database unreachable); retry later");
    this.name = "StoreUnavailableError";
  }
}

const POOL_BUSY = "timeout exceeded when trying to connect";

/** SQLSTATE classes that mean the session is gone rather than one statement refused. */
const CONNECTION_CODES = /^(08|57P0[1-3]|53300)/;

/**
 * A connection-level failure: the socket died, the server shut down or refuses
 * sessions, a connect or read timed out. Errors the server raises about one
 * statement (constraint, syntax, deadlock…) carry a SQLSTATE of another class.
 */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  // pg-pool's wait for a free client ran out: the pool is busy, which says nothing about the database.
  if (error instanceof Error && error.message === POOL_BUSY) return false;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return CONNECTION_CODES.test(code);
  return true; // node socket errors (ECONNRESET…) and pg's own "Connection terminated…", "…timeout…"
}

/**
 * The pool and what it knows of the database's reachability. A connection-level
 * error marks it unhealthy at once; from then on a probe (`SELECT 1`) runs every
 * `probeMs` and the first success marks it healthy again. The pool reconnects on
 * its own, so nothing else needs restarting.
 */
export class Connection {
  readonly pool: pg.Pool;
  private ok = true;
  private probing: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: ConnectionOptions) {
    this.pool = new pg.Pool({ ...clientConfig(opts), max: opts.poolSize, idleTimeoutMillis: 30_000, allowExitOnIdle: true });
    // An idle client's socket error is emitted here; unheard, it would crash the process.
    this.pool.on("error", (error) => this.failed(error));
    // A checked-out client between statements has no query to hand an error to.
    this.pool.on("connect", (client) => client.on("error", (error) => this.failed(error)));
    this.schedule(IDLE_PROBE_MS);
  }

  healthy(): boolean {
    return this.ok && !this.closed;
  }

  /**
   * One statement on a pooled client; fails fast while the database is known to be unreachable.
   * A `name` makes it a prepared statement, parsed once per connection.
   */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = [], name?: string): Promise<pg.QueryResult<R>> {
    if (!this.healthy()) throw this.closed ? new Error("store is closed") : new StoreUnavailableError();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.failed(error);
      throw error;
    }
    try {
      const result = await client.query<R>(name === undefined ? { text, values } : { name, text, values });
      client.release();
      return result;
    } catch (error) {
      const broken = isConnectionError(error);
      // A broken (or timed-out, still busy) client is destroyed, never handed out again.
      client.release(broken ? (error as Error) : undefined);
      if (broken) this.failed(error);
      throw error;
    }
  }

  /** Records a failure; a connection-level one makes the store unhealthy and starts probing now. */
  failed(error: unknown): void {
    if (this.closed || !isConnectionError(error) || !this.ok) return;
    this.ok = false;
    this.schedule(0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probing) clearTimeout(this.probing);
    await this.pool.end();
  }

  private schedule(ms: number): void {
    if (this.probing) clearTimeout(this.probing);
    this.probing = setTimeout(() => void this.probe(), ms);
    // Probing alone never keeps a process alive.
    this.probing.unref();
  }

  private async probe(): Promise<void> {
    this.probing = null;
    if (this.closed) return;
    // A session of its own, outside the pool: a pool busy with slow work is no outage, and the
    // fail-fast gate in query() must not stop the very probe that would lift it.
    const client = new pg.Client(clientConfig(this.opts));
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("SELECT 1");
      this.ok = true;
    } catch (error) {
      if (isConnectionError(error)) this.ok = false;
    } finally {
      await endQuietly(client);
    }
    if (!this.closed) this.schedule(this.ok ? IDLE_PROBE_MS : this.opts.probeMs);
  }
}
