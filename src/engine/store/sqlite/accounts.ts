import type { Database } from "better-sqlite3";
import { accountPageSize, containsPattern } from "../account-search.js";
import { fold } from "../fold.js";
import { ACCOUNT_COLUMNS, toAccount, type AccountRow } from "../rows.js";
import { DuplicateError, type AccountQuery, type AccountRecord, type AccountStore } from "../types.js";

type WriteRow = AccountRow & { name_key: string; mail_key: string | null };

interface ListParams {
  after?: string;
  pattern?: string;
  id?: string;
  limit: number;
}

function toRow(a: AccountRecord): WriteRow {
  return {
    id: a.id,
    name: a.name,
    name_key: fold(a.name),
    mail: a.mail,
    mail_key: a.mail === null ? null : fold(a.mail),
    password_hash: a.passwordHash,
    color: a.color,
    created: a.created,
    meta: JSON.stringify(a.meta),
  };
}

/** Turns a UNIQUE violation into the port's DuplicateError naming the field; rethrows anything else. */
function rethrowDuplicate(error: unknown): never {
  const e = error as { code?: unknown; message?: unknown };
  if (e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    const column = /accounts\.(\w+)/.exec(String(e.message))?.[1];
    if (column === "name_key") throw new DuplicateError("name");
    if (column === "mail_key") throw new DuplicateError("mail");
    if (column === "id") throw new DuplicateError("id");
  }
  throw error;
}

export function sqliteAccounts(db: Database): AccountStore {
  const select = `SELECT ${ACCOUNT_COLUMNS} FROM accounts`;
  const byId = db.prepare<[string], AccountRow>(`${select} WHERE id = ?`);
  const byName = db.prepare<[string], AccountRow>(`${select} WHERE name_key = ?`);
  const byMail = db.prepare<[string], AccountRow>(`${select} WHERE mail_key = ?`);
  const insert = db.prepare<WriteRow>(
    `INSERT INTO accounts (id, name, name_key, mail, mail_key, password_hash, color, created, meta)
     VALUES (@id, @name, @name_key, @mail, @mail_key, @password_hash, @color, @created, @meta)`,
  );
  const rewrite = db.prepare<WriteRow>(
    `UPDATE accounts SET name = @name, name_key = @name_key, mail = @mail, mail_key = @mail_key,
       password_hash = @password_hash, color = @color, meta = @meta WHERE id = @id`,
  );
  // Read-merge-write in one transaction: a single prepared UPDATE serves every patch shape.
  const update = db.transaction((id: string, patch: Partial<AccountRecord>) => {
    const row = byId.get(id);
    if (!row) return;
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<AccountRecord>;
    rewrite.run(toRow({ ...toAccount(row), ...defined, id: row.id, created: row.created }));
  });
  const find = (row: AccountRow | undefined) => (row ? toAccount(row) : null);
  // One statement per shape (first page or not, search or not) rather than
  // `@after IS NULL OR …`, which would keep SQLite from seeking the name_key
  // index (UNIQUE, BINARY: the port's byte order) to the cursor.
  const listing = (after: boolean, search: boolean) =>
    db.prepare<[ListParams], AccountRow>(
      `${select} WHERE ${after ? "name_key > @after" : "1"}
       ${search ? "AND (name_key LIKE @pattern ESCAPE '\\' OR mail_key LIKE @pattern ESCAPE '\\' OR id = @id)" : ""}
       ORDER BY name_key LIMIT @limit`,
    );
  const lists = [
    [listing(false, false), listing(false, true)],
    [listing(true, false), listing(true, true)],
  ];

  return {
    async create(account: AccountRecord): Promise<void> {
      try {
        insert.run(toRow(account));
      } catch (error) {
        rethrowDuplicate(error);
      }
    },
    async byId(id: string): Promise<AccountRecord | null> {
      return find(byId.get(id));
    },
    async byName(name: string): Promise<AccountRecord | null> {
      return find(byName.get(fold(name)));
    },
    async byMail(mail: string): Promise<AccountRecord | null> {
      return find(byMail.get(fold(mail)));
    },
    async list({ search, after, limit }: AccountQuery): Promise<AccountRecord[]> {
      const params: ListParams = { limit: accountPageSize(limit) };
      if (after !== undefined) params.after = fold(after);
      if (search) Object.assign(params, { pattern: containsPattern(search), id: search });
      return lists[after === undefined ? 0 : 1][search ? 1 : 0].all(params).map(toAccount);
    },
    async update(id: string, patch: Partial<Omit<AccountRecord, "id" | "created">>): Promise<void> {
      try {
        update.immediate(id, patch);
      } catch (error) {
        rethrowDuplicate(error);
      }
    },
  };
}
