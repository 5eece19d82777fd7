import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type { Core } from "../../core/core.js";
import { accountIdentity, type RegisterResult } from "../../core/accounts/accounts.js";
import { colorFor } from "../../core/identity.js";
import type { JsonObject } from "../../core/json.js";
import type { Identity, UserRef } from "../../core/types.js";
import { DIGITS, NAME, validMail } from "./line.js";
import type { SecretBox } from "./secret-box.js";

/** Anonymous users by numeric id: core account names may not be all digits, so they live here. */
const ANON_NS = "fuse.anonymous";
const SALT_NS = "fuse.salts";
const SALT_TTL_MS = 60_000;
const SALT_LENGTH = 8;
const SALT_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export type Outcome<T> = ({ ok: true } & T) | { ok: false; reason: string };

const fail = (reason: string) => ({ ok: false as const, reason });

const REGISTER_REFUSALS: Record<Exclude<RegisterResult, { ok: true }>["code"], string> = {
  "name.invalid": "name invalid",
  "name.taken": "name already registered",
  "mail.invalid": "mail invalid",
  "mail.taken": "mail already registered",
  "password.short": "pass too short",
};

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

/** The key is a random secret; the id a number derived from it (15 digits, so never "too short"). */
function newKey(): { key: string; id: string } {
  const key = randomBytes(16).toString("hex");
  const n = createHash("sha256").update(key).digest().readUIntBE(0, 6);
  return { key, id: String(1e14 + (n % 9e14)) };
}

interface Secrets {
  user: Identity;
  key: string | null;
  pass: string | null;
  /** An anonymous user's stored entry. */
  entry?: JsonObject;
}

/**
 * Fuse registration and the salted md5 login. Named users are core accounts
 * (so they can log in elsewhere); their fuse key and pass are kept sealed in
 * the account's meta, because the challenge needs them in clear.
 */
export class FuseAccounts {
  constructor(
    private readonly core: Core,
    private readonly box: SecretBox,
    private readonly minPasswordLength: number,
    /** How long an anonymous user lives without an `open`: each `open` starts the time again. */
    private readonly anonymousTtlMs: number,
  ) {}

  /** A new user: its key, its id, and who it is (for logging it in at once, as the original server did in legacy mode). */
  async register(name: string, mail: string, pass: string): Promise<Outcome<{ key: string; id: string; user: Identity }>> {
    if (name !== "") {
      if (name.length < 3) return fail("name too short");
      if (!NAME.test(name)) return fail("name invalid");
      if (DIGITS.test(name)) return fail("name alpha missing");
    }
    if (mail !== "" && !validMail(mail)) return fail("mail invalid");
    if (pass !== "" && pass.length < 3) return fail("pass too short");
    if (name === "") return this.registerAnonymous(pass);
    const accounts = this.core.store.accounts;
    if (await accounts.byName(name)) return fail("name already registered");
    if (mail !== "" && (await accounts.byMail(mail))) return fail("mail already registered");
    const { key, id } = newKey();
    // The account password other dialects log in with: the pass, or the key when the pass is missing or short.
    const password = pass.length >= this.minPasswordLength ? pass : key;
    const meta: JsonObject = { fuse: { id, key: this.box.seal(key), pass: pass === "" ? null : this.box.seal(pass) } };
    const result = await this.core.accounts.register({ name, password, mail: mail || null, meta });
    return result.ok ? { ok: true, key, id, user: accountIdentity(result.account) } : fail(REGISTER_REFUSALS[result.code]);
  }

  private async registerAnonymous(pass: string): Promise<Outcome<{ key: string; id: string; user: Identity }>> {
    const kv = this.core.store.kv;
    for (;;) {
      const { key, id } = newKey();
      if (await kv.get(ANON_NS, id)) continue;
      await kv.put(ANON_NS, id, { key: this.box.seal(key), pass: pass === "" ? null : this.box.seal(pass) }, Date.now() + this.anonymousTtlMs);
      return { ok: true, key, id, user: anonymous(id) };
    }
  }

  /** 8 characters, good for one `open` within 60 s. */
  async salt(): Promise<string> {
    let salt = "";
    for (let i = 0; i < SALT_LENGTH; i++) salt += SALT_CHARS[randomInt(SALT_CHARS.length)];
    await this.core.store.kv.put(SALT_NS, salt, {}, Date.now() + SALT_TTL_MS);
    return salt;
  }

  /** Checked in the protocol's order: the user, then the salt (used up even by a wrong pass), then the hash. */
  async open(name: string, salt: string, hash: string): Promise<Outcome<{ user: Identity }>> {
    const secrets = await this.secretsOf(name);
    if (!secrets) return fail("user not found");
    if (salt.length !== SALT_LENGTH || !(await this.core.store.kv.delete(SALT_NS, salt))) return fail("salt not found");
    const given = Buffer.from(hash, "utf8");
    const matches = [secrets.key, secrets.pass].some((secret) => {
      if (secret === null) return false;
      const expected = Buffer.from(md5(secret + salt), "utf8");
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (!matches) return fail("wrong pass");
    // An anonymous user in use is kept: its time starts again.
    if (secrets.entry) await this.core.store.kv.put(ANON_NS, name, secrets.entry, Date.now() + this.anonymousTtlMs);
    return { ok: true, user: secrets.user };
  }

  /** A user by fuse name (an account name, or an anonymous user's id). */
  async find(name: string): Promise<UserRef | null> {
    if (DIGITS.test(name)) return (await this.core.store.kv.get(ANON_NS, name)) ? anonymous(name) : null;
    const account = name === "" ? null : await this.core.accounts.byName(name);
    return account ? { id: account.id, name: account.name } : null;
  }

  private async secretsOf(name: string): Promise<Secrets | null> {
    if (DIGITS.test(name)) {
      const entry = await this.core.store.kv.get(ANON_NS, name);
      return entry ? { user: anonymous(name), key: this.unseal(entry.key), pass: this.unseal(entry.pass), entry } : null;
    }
    const account = NAME.test(name) ? await this.core.accounts.byName(name) : null;
    const fuse = account?.meta.fuse;
    // Accounts made elsewhere have no fuse secrets: the md5 challenge cannot be met for them.
    if (!account || typeof fuse !== "object" || fuse === null || Array.isArray(fuse)) return null;
    return { user: accountIdentity(account), key: this.unseal(fuse.key), pass: this.unseal(fuse.pass) };
  }

  private unseal(value: unknown): string | null {
    return typeof value === "string" ? this.box.unseal(value) : null;
  }
}

function anonymous(id: string): Identity {
  return { id: `fuse:${id}`, name: id, color: colorFor(id), verified: false, guest: true };
}
