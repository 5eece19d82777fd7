import { since, type EngineObserver } from "../../observer.js";
import type { Connection } from "./connection.js";
import { COMMIT_BATCH_SQL, type BatchResultRow } from "./batch-sql.js";
import type { DocumentRow } from "../rows.js";

/** A write that takes a seq: an event (with content) or a bare counter bump. */
export interface SeqWrite {
  kind: "append" | "bump";
  stream: string;
  type: string;
  time: number;
  senderId: string;
  senderName: string;
  /** JSON text of the event's data; empty for a bump. */
  data: string;
}

/** A document as PostgreSQL stores it (`deleted` a boolean column). */
export type DocRow = DocumentRow<boolean>;

export type DocWrite = { kind: "insert"; doc: DocRow } | { kind: "write"; doc: DocRow; expect: number };

type Write = SeqWrite | DocWrite;

interface Pending {
  write: Write;
  resolve: (result: number | boolean) => void;
  reject: (error: unknown) => void;
  done: Promise<unknown>;
}

/** Bounds one statement's size and how long it holds counter locks; the rest goes in the next batch. */
const MAX_BATCH = 2_000;
/** Deadlocks (two nodes locking documents in different orders) and serialization failures are retried. */
const RETRY_CODES = new Set(["40P01", "40001"]);
const MAX_ATTEMPTS = 5;

const docKey = (doc: DocRow) => `${doc.collection}\u0000${doc.id}`;

/**
 * The group commit: every append, bump and document write queued during one
 * event-loop turn goes to PostgreSQL as ONE statement (arrays through unnest,
 * data-modifying CTEs), which is one round trip and, being one statement, one
 * transaction: all of it commits or none does. A write's promise settles only
 * after that. One batch is in flight at a time, so a node's seqs on a stream
 * follow the order it enqueued them in; writes arriving meanwhile form the next.
 *
 * Two writes to the same document cannot share a statement (it would see the
 * row as it was before both), so a later one waits for the next batch.
 */
export class PgGroupCommit {
  private queue: Pending[] = [];
  private inFlight: Pending[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private running = false;
  private closed = false;

  constructor(
    private readonly db: Connection,
    private readonly observer: EngineObserver = {},
  ) {}

  /** Resolves with the assigned seq (append, bump) or whether the document write took effect. */
  enqueue(write: SeqWrite): Promise<number>;
  enqueue(write: DocWrite): Promise<boolean>;
  enqueue(write: Write): Promise<number | boolean> {
    if (this.closed) return Promise.reject(new Error("store is closed"));
    let settle!: Pick<Pending, "resolve" | "reject">;
    const done = new Promise<number | boolean>((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.queue.push({ write, ...settle, done });
    if (!this.running) this.scheduled ??= setImmediate(() => void this.drain());
    return done;
  }

  /** Commits everything queued so far now, and waits until each of those writes has settled. */
  async flush(): Promise<void> {
    const waiting = [...this.inFlight, ...this.queue].map((p) => p.done.catch(() => undefined));
    if (!this.running) void this.drain();
    await Promise.all(waiting);
  }

  /** Refuses new writes at once, then commits what is already queued. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async drain(): Promise<void> {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        this.inFlight = this.take();
        await this.commit(this.inFlight);
        this.inFlight = [];
      }
    } finally {
      this.running = false;
    }
  }

  /** The next batch, in enqueue order; a second write to a document already in it waits, as does all past MAX_BATCH. */
  private take(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const docs = new Set<string>();
    for (const p of this.queue) {
      if (batch.length >= MAX_BATCH) {
        rest.push(p);
        continue;
      }
      const w = p.write;
      if (w.kind === "insert" || w.kind === "write") {
        const key = docKey(w.doc);
        if (docs.has(key)) {
          rest.push(p);
          continue;
        }
        docs.add(key);
      }
      batch.push(p);
    }
    this.queue = rest;
    return batch;
  }

  private async commit(batch: Pending[]): Promise<void> {
    let rows: BatchResultRow[];
    const start = performance.now();
    try {
      rows = await this.run(batch);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    const ms = since(start);
    const seqs = new Map<number, number>();
    const applied = new Set<number>();
    for (const row of rows) {
      if (row.seq !== null) seqs.set(row.ord, row.seq);
      else applied.add(row.ord);
    }
    batch.forEach((p, ord) => {
      const kind = p.write.kind;
      if (kind === "insert" || kind === "write") p.resolve(applied.has(ord));
      else {
        const seq = seqs.get(ord);
        if (seq === undefined) p.reject(new Error("batch committed without a seq for this write"));
        else p.resolve(seq);
      }
    });
    this.observer.commit?.(ms, batch.length);
  }

  private async run(batch: Pending[]): Promise<BatchResultRow[]> {
    const params = batchParams(batch.map((p) => p.write));
    for (let attempt = 1; ; attempt++) {
      try {
        // Prepared once per connection (named): the statement is long, and parsing it every batch showed (~10%).
        return (await this.db.query<BatchResultRow>(COMMIT_BATCH_SQL, params, "switchboard_commit_batch")).rows;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        // The statement was rolled back whole, so running it again cannot double anything.
        if (attempt >= MAX_ATTEMPTS || typeof code !== "string" || !RETRY_CODES.has(code)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }
}

/** Column arrays for COMMIT_BATCH_SQL; `ord` is each write's index in the batch. */
function batchParams(writes: Write[]): unknown[] {
  const h = { ord: [] as number[], stream: [] as string[], event: [] as boolean[], type: [] as string[], time: [] as number[],
    senderId: [] as string[], senderName: [] as string[], data: [] as string[] };
  const docCols = () => ({ ord: [] as number[], collection: [] as string[], id: [] as string[], rev: [] as number[], owner: [] as string[],
    body: [] as string[], created: [] as number[], updated: [] as number[], deleted: [] as boolean[], expect: [] as number[] });
  const ins = docCols();
  const upd = docCols();
  writes.forEach((w, ord) => {
    if (w.kind === "insert" || w.kind === "write") {
      const d = w.kind === "insert" ? ins : upd;
      d.ord.push(ord);
      d.collection.push(w.doc.collection);
      d.id.push(w.doc.id);
      d.rev.push(w.doc.rev);
      d.owner.push(w.doc.owner);
      d.body.push(w.doc.body);
      d.created.push(w.doc.created);
      d.updated.push(w.doc.updated);
      d.deleted.push(w.doc.deleted);
      d.expect.push(w.kind === "write" ? w.expect : 0);
      return;
    }
    h.ord.push(ord);
    h.stream.push(w.stream);
    h.event.push(w.kind === "append");
    h.type.push(w.type);
    h.time.push(w.time);
    h.senderId.push(w.senderId);
    h.senderName.push(w.senderName);
    h.data.push(w.data);
  });
  const docs = (d: ReturnType<typeof docCols>) => [d.ord, d.collection, d.id, d.rev, d.owner, d.body, d.created, d.updated, d.deleted];
  return [h.ord, h.stream, h.event, h.type, h.time, h.senderId, h.senderName, h.data, ...docs(ins), ...docs(upd), upd.expect];
}
