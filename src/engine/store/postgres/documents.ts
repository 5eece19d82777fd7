import { DOCUMENT_COLUMNS, toDocument, type DocumentRow } from "../rows.js";
import type { DocumentQuery, DocumentRecord, DocumentStore } from "../types.js";
import type { Connection } from "./connection.js";
import type { DocRow, PgGroupCommit } from "./group-commit.js";
import { checkBatchable } from "./values.js";

/** The driver already reads boolean columns as booleans. */
const fromRow = (row: DocumentRow<boolean>): DocumentRecord => toDocument(row, (flag) => flag);

/** Checked here so one bad document fails alone instead of sinking its batch. */
function toRow(doc: DocumentRecord): DocRow {
  const body = JSON.stringify(doc.body);
  if (typeof body !== "string") throw new TypeError("document body is not JSON");
  checkBatchable([doc.collection, doc.id, doc.owner], [doc.rev, doc.created, doc.updated]);
  return { collection: doc.collection, id: doc.id, rev: doc.rev, owner: doc.owner, body, created: doc.created, updated: doc.updated, deleted: doc.deleted };
}

/** Writes ride the group commit with history appends: durable before they resolve, one commit for many. */
export function postgresDocuments(db: Connection, commits: PgGroupCommit): DocumentStore {
  return {
    async get(collection: string, id: string): Promise<DocumentRecord | null> {
      const { rows } = await db.query<DocumentRow<boolean>>(`SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE collection = $1 AND id = $2`, [collection, id]);
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async insert(doc: DocumentRecord): Promise<boolean> {
      return commits.enqueue({ kind: "insert", doc: toRow(doc) });
    },
    async write(doc: DocumentRecord, expectRev: number): Promise<boolean> {
      return commits.enqueue({ kind: "write", doc: toRow(doc), expect: expectRev });
    },
    async list(collection: string, q: DocumentQuery): Promise<DocumentRecord[]> {
      // Put together from fixed fragments: nothing a client sends becomes SQL text, only bound values.
      const values: unknown[] = [collection, Math.max(0, Math.trunc(q.limit))];
      const where = ["collection = $1", "NOT deleted"];
      if (q.owner !== undefined) {
        values.push(q.owner);
        where.push(`owner = $${values.length}`);
      }
      if (q.after) {
        values.push(q.after.created, q.after.id);
        const [c, i] = [values.length - 1, values.length];
        where.push(q.ascending ? `(created, id) > ($${c}, $${i})` : `(created, id) < ($${c}, $${i})`);
      }
      const order = q.ascending ? "created ASC, id ASC" : "created DESC, id DESC";
      const { rows } = await db.query<DocumentRow<boolean>>(
        `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT $2`,
        values,
      );
      return rows.map(fromRow);
    },
  };
}
