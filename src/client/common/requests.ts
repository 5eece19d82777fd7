// Requests waiting for their replies, matched by key (a really tag, a pubsub
// id, or "room/op" for protocols that answer in order), each with a timeout.

import { SwitchboardError } from "./errors.js";

interface Entry<T> {
  resolve: (value: T) => void;
  reject: (err: SwitchboardError) => void;
  timer: ReturnType<typeof setTimeout>;
  /** Whether the request reached a socket: only then can a lost connection leave it in doubt. */
  sent: boolean;
  /** Takes the frame back out of the outbox when it has not gone yet; true when it had not. */
  cancel: () => boolean;
  seq: number;
  /** What the caller wants to check against the reply (an instalk message's body). */
  meta: unknown;
}

export interface Waiter {
  /** Call when the request's frame is written to a socket. */
  markSent(): void;
  /** How the frame can be withdrawn on timeout (set once it is queued). */
  setCancel(cancel: () => boolean): void;
  /** Rejects this request at once (it could not even be queued). */
  fail(err: SwitchboardError): void;
}

/** Replies by key; several waiters under one key are answered oldest first. */
export class Pending<T> {
  private readonly byKey = new Map<string, Array<Entry<T>>>();
  private seq = 0;

  /** Registers a waiter for `key`: the promise settles with the reply, an error reply or a timeout. */
  add(key: string, timeoutMs: number, what: string, meta?: unknown): { promise: Promise<T>; waiter: Waiter } {
    let entry!: Entry<T>;
    const promise = new Promise<T>((resolve, reject) => {
      entry = {
        resolve,
        reject,
        sent: false,
        cancel: () => false,
        seq: ++this.seq,
        meta,
        timer: setTimeout(() => {
          this.remove(key, entry);
          const withdrawn = entry.cancel();
          const sent = entry.sent && !withdrawn;
          reject(new SwitchboardError("request.timeout", `${what}: no reply within ${timeoutMs} ms${sent ? "" : " (never sent)"}`, { sent }));
        }, timeoutMs),
      };
    });
    const list = this.byKey.get(key);
    if (list) list.push(entry);
    else this.byKey.set(key, [entry]);
    return {
      promise,
      waiter: {
        markSent: () => (entry.sent = true),
        setCancel: (cancel) => (entry.cancel = cancel),
        fail: (err) => {
          this.remove(key, entry);
          clearTimeout(entry.timer);
          entry.reject(err);
        },
      },
    };
  }

  has(key: string): boolean {
    return (this.byKey.get(key)?.length ?? 0) > 0;
  }

  /** The `meta` of the oldest waiter under `key`. */
  peek(key: string): unknown {
    return this.byKey.get(key)?.[0]?.meta;
  }

  /** Settles the oldest waiter under `key`; false when nobody waits for it. */
  resolve(key: string, value: T): boolean {
    const entry = this.take(key);
    if (!entry) return false;
    entry.resolve(value);
    return true;
  }

  reject(key: string, err: SwitchboardError): boolean {
    const entry = this.take(key);
    if (!entry) return false;
    entry.reject(err);
    return true;
  }

  /** The key of the request sent first among all still waiting (for errors that name no request). */
  oldestKey(): string | undefined {
    let best: { key: string; seq: number } | undefined;
    for (const [key, list] of this.byKey) if (list[0] && (!best || list[0].seq < best.seq)) best = { key, seq: list[0].seq };
    return best?.key;
  }

  /** Rejects every waiter whose request reached a socket (`onlySent`), or every waiter. */
  rejectAll(err: (sent: boolean) => SwitchboardError, onlySent = false): void {
    for (const [key, list] of [...this.byKey]) {
      const keep = list.filter((e) => onlySent && !e.sent);
      for (const e of list) {
        if (keep.includes(e)) continue;
        clearTimeout(e.timer);
        e.reject(err(e.sent));
      }
      if (keep.length > 0) this.byKey.set(key, keep);
      else this.byKey.delete(key);
    }
  }

  private take(key: string): Entry<T> | undefined {
    const list = this.byKey.get(key);
    const entry = list?.shift();
    if (list && list.length === 0) this.byKey.delete(key);
    if (entry) clearTimeout(entry.timer);
    return entry;
  }

  private remove(key: string, entry: Entry<T>): void {
    const list = this.byKey.get(key);
    if (!list) return;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(key);
  }
}

/** Where requests go: a connection's outbox-backed send. */
export interface Sender {
  send(text: string, done?: (sent: boolean) => void): () => boolean;
}

/** Sends the frame `text` and waits under `key` for its reply. */
export function request<T>(conn: Sender, pending: Pending<T>, key: string, text: string, timeoutMs: number, what: string, meta?: unknown): Promise<T> {
  const { promise, waiter } = pending.add(key, timeoutMs, what, meta);
  try {
    waiter.setCancel(conn.send(text, (sent) => sent && waiter.markSent()));
  } catch (err) {
    waiter.fail(err instanceof SwitchboardError ? err : new SwitchboardError("outbox.full", String(err)));
  }
  return promise;
}

/** A request on one socket only (handshake and recovery): it is on the wire as soon as it is sent. */
export function requestOn<T>(link: { send(text: string): void }, pending: Pending<T>, key: string, text: string, timeoutMs: number, what: string): Promise<T> {
  const { promise, waiter } = pending.add(key, timeoutMs, what);
  waiter.markSent();
  link.send(text);
  return promise;
}

/** The socket died: requests it carried may or may not have been carried out; those it never carried wait for the next. */
export function rejectInFlight<T>(pending: Pending<T>): void {
  pending.rejectAll(() => new SwitchboardError("connection.lost", "the connection was lost before the reply; the request may or may not have been carried out", { sent: true }), true);
}
