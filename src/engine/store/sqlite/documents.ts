import type { Database, Statement } from "better-sqlite3";
import { DOCUMENT_COLUMNS, toDocument, type DocumentRow } from "../rows.js";
import type { DocumentQuery, DocumentRecord, DocumentStore } from "../types.js";
import type { GroupCommit } from "./group-commit.js";

interface ListParams {
  collection: string;
  limit: number;
  created?: number;
  id?: string;
  owner?: string;
}

/** SQLite has no boolean type: `deleted` is stored as 0/1. */
const fromRow = (row: DocumentRow<number>): DocumentRecord => toDocument(row, (flag) => flag !== 0);

function toRow(doc: DocumentRecord): DocumentRow<number> {
  return { ...doc, body: JSON.stringify(doc.body), deleted: doc.deleted ? 1 : 0 };
}

/**
 * The eight list statements differ only in direction, cursor and owner. Each is
 * put together from these fixed fragments once, up front: nothing a client
 * sends ever becomes SQL text, it is only ever bound as a parameter.
 */
function listStatements(db: Database): Map<string, Statement<ListParams, DocumentRow<number>>> {
  const out = new Map<string, Statement<ListParams, DocumentRow<number>>>();
  for (const ascending of [true, false]) {
    for (const after of [true, false]) {
      for (const owner of [true, false]) {
        const where = ["collection = @collection", "deleted = 0"];
        if (owner) where.push("owner = @owner");
        if (after) where.push(ascending ? "(created, id) > (@created, @id)" : "(created, id) < (@created, @id)");
        const order = ascending ? "created ASC, id ASC" : "created DESC, id DESC";
        const sql = `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT @limit`;
        out.set(listKey(ascending, after, owner), db.prepare<ListParams, DocumentRow<number>>(sql));
      }
    }
  }
  return out;
}

const listKey = (ascending: boolean, after: boolean, owner: boolean) => `${ascending}/${after}/${owner}`;

/** Writes ride the group commit with history appends: durable before they resolve, one commit for many. */
export function sqliteDocuments(db: Database, commits: GroupCommit): DocumentStore {
  const get = db.prepare<[string, string], DocumentRow<number>>(`SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE collection = ? AND id = ?`);
  const insert = db.prepare<DocumentRow<number>>(
    `INSERT INTO documents (${DOCUMENT_COLUMNS}) VALUES (@collection, @id, @rev, @owner, @body, @created, @updated, @deleted)
     ON CONFLICT (collection, id) DO NOTHING`,
  );
  const write = db.prepare<DocumentRow<number> & { expect: number }>(
    `UPDATE documents SET rev = @rev, owner = @owner, body = @body, updated = @updated, deleted = @deleted
     WHERE collection = @collection AND id = @id AND rev = @expect`,
  );
  const lists = listStatements(db);

  return {
    async get(collection: string, id: string): Promise<DocumentRecord | null> {
      const row = get.get(collection, id);
      return row ? fromRow(row) : null;
    },
    async insert(doc: DocumentRecord): Promise<boolean> {
      const row = toRow(doc);
      return commits.enqueue(() => insert.run(row).changes === 1);
    },
    async write(doc: DocumentRecord, expectRev: number): Promise<boolean> {
      const row = { ...toRow(doc), expect: expectRev };
      return commits.enqueue(() => write.run(row).changes === 1);
    },
    async list(collection: string, q: DocumentQuery): Promise<DocumentRecord[]> {
      const statement = lists.get(listKey(q.ascending, q.after !== undefined, q.owner !== undefined))!;
      const params: ListParams = { collection, limit: q.limit };
      if (q.after) Object.assign(params, q.after);
      if (q.owner !== undefined) params.owner = q.owner;
      return statement.all(params).map(fromRow);
    },
  };
}
