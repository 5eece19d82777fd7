import { accountPageSize, containsPattern } from "../account-search.js";
import { fold } from "../fold.js";
import { ACCOUNT_COLUMNS, toAccount, type AccountRow } from "../rows.js";
import { DuplicateError, type AccountQuery, type AccountRecord, type AccountStore } from "../types.js";
import type { Connection } from "./connection.js";

const SELECT = `SELECT ${ACCOUNT_COLUMNS} FROM accounts`;

/** Constraint names from the schema, to the field the port's DuplicateError names. */
const DUPLICATE_FIELDS: Record<string, string> = {
  accounts_name_unique: "name",
  accounts_mail_unique: "mail",
  accounts_pkey: "id",
};

/** Turns a unique violation into the port's DuplicateError naming the field; rethrows anything else. */
function rethrowDuplicate(error: unknown): never {
  const e = error as { code?: unknown; constraint?: unknown };
  const field = e.code === "23505" && typeof e.constraint === "string" ? DUPLICATE_FIELDS[e.constraint] : undefined;
  if (field) throw new DuplicateError(field);
  throw error;
}

export function postgresAccounts(db: Connection): AccountStore {
  const one = async (where: string, value: string) => {
    const { rows } = await db.query<AccountRow>(`${SELECT} WHERE ${where} = $1`, [value]);
    return rows[0] ? toAccount(rows[0]) : null;
  };

  return {
    async create(a: AccountRecord): Promise<void> {
      try {
        await db.query(
          `INSERT INTO accounts (id, name, name_key, mail, mail_key, password_hash, color, created, meta)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [a.id, a.name, fold(a.name), a.mail, a.mail === null ? null : fold(a.mail), a.passwordHash, a.color, a.created, JSON.stringify(a.meta)],
        );
      } catch (error) {
        rethrowDuplicate(error);
      }
    },
    byId: (id) => one("id", id),
    byName: (name) => one("name_key", fold(name)),
    byMail: (mail) => one("mail_key", fold(mail)),
    async list({ search, after, limit }: AccountQuery): Promise<AccountRecord[]> {
      const values: unknown[] = [];
      const bind = (value: unknown) => `$${values.push(value)}`;
      const where: string[] = [];
      // COLLATE "C": byte order, as in SQLite, whatever the database's locale (index accounts_name_order).
      if (after !== undefined) where.push(`name_key COLLATE "C" > ${bind(fold(after))}`);
      if (search) {
        const pattern = bind(containsPattern(search));
        where.push(`(name_key LIKE ${pattern} ESCAPE '\\' OR mail_key LIKE ${pattern} ESCAPE '\\' OR id = ${bind(search)})`);
      }
      const { rows } = await db.query<AccountRow>(
        `${SELECT} ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY name_key COLLATE "C" LIMIT ${bind(accountPageSize(limit))}`,
        values,
      );
      return rows.map(toAccount);
    },
    async update(id: string, patch: Partial<Omit<AccountRecord, "id" | "created">>): Promise<void> {
      // One UPDATE of just the given columns: atomic, no read-merge-write race.
      // Column names come from this fixed list; values are only ever bound.
      const values: unknown[] = [id];
      const sets: string[] = [];
      const set = (column: string, value: unknown) => {
        values.push(value);
        sets.push(`${column} = $${values.length}`);
      };
      if (patch.name !== undefined) {
        set("name", patch.name);
        set("name_key", fold(patch.name));
      }
      if (patch.mail !== undefined) {
        set("mail", patch.mail);
        set("mail_key", patch.mail === null ? null : fold(patch.mail));
      }
      if (patch.passwordHash !== undefined) set("password_hash", patch.passwordHash);
      if (patch.color !== undefined) set("color", patch.color);
      if (patch.meta !== undefined) set("meta", JSON.stringify(patch.meta));
      if (sets.length === 0) return;
      try {
        await db.query(`UPDATE accounts SET ${sets.join(", ")} WHERE id = $1`, values);
      } catch (error) {
        rethrowDuplicate(error);
      }
    },
  };
}
