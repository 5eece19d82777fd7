/**
 * Refuses, before a write joins a group commit, what PostgreSQL would refuse
 * inside it: a NUL character in text (SQLite takes it, PostgreSQL's text cannot)
 * and a non-integer where a bigint goes. Otherwise one such write would fail the
 * statement and with it every other write of the batch.
 */
export function checkBatchable(texts: string[], integers: number[]): void {
  for (const t of texts) {
    if (typeof t !== "string" || t.includes("\u0000")) throw new TypeError("text must be a string without NUL characters");
  }
  for (const n of integers) {
    if (!Number.isSafeInteger(n)) throw new TypeError(`expected a whole number, got ${String(n)}`);
  }
}
