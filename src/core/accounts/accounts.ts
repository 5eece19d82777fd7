import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { AccountRecord, Store } from "../../engine/store/types.js";
import { DuplicateError } from "../../engine/store/types.js";
import type { Authenticator, AuthSession } from "../auth.js";
import { colorFor } from "../identity.js";
import type { Identity } from "../types.js";
import type { Counters } from "../../engine/broker/types.js";
import { AddressQuota } from "./address-quota.js";
import { HashGate } from "./hash-gate.js";
import { LoginLimiter } from "./login-limiter.js";
import { hashPassword, verifyPassword } from "./password.js";
import { credentialRef, type Revocations } from "./revocations.js";
import type { AuthType, TokenClaims, TokenSigner } from "./tokens.js";

export interface AccountsOptions {
  tokenTtlSeconds: number;
  anonymousTtlSeconds: number;
  allowAnonymous: boolean;
  sessionKeyTtlSeconds: number;
  minPasswordLength: number;
  loginFailuresPerName: number;
  loginFailuresPerAddress: number;
  loginWindowSeconds: number;
  /** Accounts and stored anonymous session keys one address may create per window. */
  creationsPerAddress: number;
  creationWindowSeconds: number;
}

/** Account names: what every dialect can show. All digits is reserved for numeric ids. */
export const ACCOUNT_NAME = /^[\p{L}\p{N}._-](?:[\p{L}\p{N} ._-]{0,30}[\p{L}\p{N}._-])?$/u;
export const MAIL = /^[^@\s]+@[^@\s]+$/;

export type RegisterResult =
  | { ok: true; account: AccountRecord }
  | { ok: false; code: "name.invalid" | "name.taken" | "mail.invalid" | "mail.taken" | "password.short" };

export type LoginResult = { ok: true; account: AccountRecord } | { ok: false; code: "credentials.invalid" | "rate.limited" };

/**
 * Why a credential was refused, for the server's metrics: which kind of
 * credential, and what was wrong with it. The admin key is checked by the HTTP
 * API, not here, but is counted the same way.
 */
export interface AuthFailure {
  credential: "password" | "token" | "session-key" | "admin-key";
  reason: "invalid" | "expired" | "revoked" | "unknown-account" | "rate-limited";
}

export interface IssuedToken {
  token: string;
  claims: TokenClaims;
}

const KEYS_NS = "session-keys";

/** Keys are kept only as a digest: a copied data folder yields no usable key. */
const keyDigest = (key: string) => createHash("sha256").update(key).digest("base64url");

export function accountIdentity(account: AccountRecord): Identity {
  return { id: account.id, name: account.name, color: account.color, verified: true, guest: false };
}

/** Accounts, passwords, access tokens and session keys: every dialect's way in. */
export class Accounts implements Authenticator {
  private readonly limiter: LoginLimiter;
  private readonly creations: AddressQuota;
  /** As many hashes at once as libuv has pool threads (four); a short queue, then BusyError. */
  private readonly hashing = new HashGate(4, 32);

  constructor(
    private readonly store: Store,
    private readonly signer: TokenSigner,
    readonly revocations: Revocations,
    readonly options: AccountsOptions,
    counters: Counters,
    /** Told of every refused credential (metrics); must not throw. */
    private readonly onAuthFailure: (failure: AuthFailure) => void = () => undefined,
  ) {
    this.limiter = new LoginLimiter(counters, "login", options.loginFailuresPerName, options.loginFailuresPerAddress, options.loginWindowSeconds * 1000);
    this.creations = new AddressQuota(counters, "create", options.creationsPerAddress, options.creationWindowSeconds * 1000);
  }

  async register(input: { name: string; password: string | null; mail?: string | null; meta?: AccountRecord["meta"] }): Promise<RegisterResult> {
    const name = input.name;
    if (!ACCOUNT_NAME.test(name) || /^\d+$/.test(name)) return { ok: false, code: "name.invalid" };
    const mail = input.mail ? input.mail : null;
    if (mail !== null && (!MAIL.test(mail) || mail.length > 254)) return { ok: false, code: "mail.invalid" };
    if (input.password !== null && [...input.password].length < this.options.minPasswordLength) return { ok: false, code: "password.short" };
    const account: AccountRecord = {
      id: randomUUID(),
      name,
      mail,
      passwordHash: input.password === null ? null : await this.hashing.run(() => hashPassword(input.password!)),
      color: colorFor(name),
      created: Date.now(),
      meta: input.meta ?? {},
    };
    try {
      await this.store.accounts.create(account);
    } catch (err) {
      if (err instanceof DuplicateError) return { ok: false, code: err.field === "mail" ? "mail.taken" : "name.taken" };
      throw err;
    }
    return { ok: true, account };
  }

  async login(name: string, password: string, address: string): Promise<LoginResult> {
    if (await this.limiter.blocked(name, address)) return this.failed({ credential: "password", reason: "rate-limited" }, { ok: false, code: "rate.limited" });
    const account = await this.store.accounts.byName(name);
    const hash = account?.passwordHash;
    const ok = hash ? await this.hashing.run(() => verifyPassword(password, hash)) : false;
    if (!account || !ok) {
      await this.limiter.fail(name, address);
      return this.failed({ credential: "password", reason: "invalid" }, { ok: false, code: "credentials.invalid" });
    }
    await this.limiter.succeed(name);
    return { ok: true, account };
  }

  /** Whether `address` may create one more account or stored credential now (counts it when so). */
  mayCreate(address: string): Promise<boolean> {
    return this.creations.take(address);
  }

  byId(id: string): Promise<AccountRecord | null> {
    return this.store.accounts.byId(id);
  }

  byName(name: string): Promise<AccountRecord | null> {
    return this.store.accounts.byName(name);
  }

  async isAccountName(name: string): Promise<boolean> {
    return (await this.store.accounts.byName(name)) !== null;
  }

  issueToken(who: { id: string; name: string }, authType: AuthType, ttlSeconds?: number): Promise<IssuedToken> {
    const ttl = ttlSeconds ?? (authType === "anonymous" ? this.options.anonymousTtlSeconds : this.options.tokenTtlSeconds);
    return this.signer.sign(who.id, who.name, authType, ttl);
  }

  /** A new guest with its own id, for dialects that need a token even for anonymous users. */
  anonymousIdentity(): Identity {
    const name = `Guest-${randomBytes(3).readUIntBE(0, 3) % 100000}`;
    return { id: randomUUID(), name, color: colorFor(name), verified: false, guest: true };
  }

  async verify(token: string): Promise<AuthSession | null> {
    const claims = await this.signer.inspect(token);
    if (typeof claims === "string") return this.failed({ credential: "token", reason: claims }, null);
    if (claims.expiresAt <= Date.now()) return this.failed({ credential: "token", reason: "expired" }, null);
    const revocationId = credentialRef(claims.jti, claims.sub, claims.issuedAt);
    if (await this.revocations.isRevoked(revocationId)) return this.failed({ credential: "token", reason: "revoked" }, null);
    let identity: Identity;
    if (claims.authType === "anonymous") {
      identity = { id: claims.sub, name: claims.name, color: colorFor(claims.name), verified: false, guest: true };
    } else {
      const account = await this.store.accounts.byId(claims.sub);
      if (!account) return this.failed({ credential: "token", reason: "unknown-account" }, null);
      identity = accountIdentity(account);
    }
    return { identity, revocationId, expiresAt: claims.expiresAt, authType: claims.authType };
  }

  /** Revokes a token by its text; false when it was not a valid token. */
  async revokeToken(token: string): Promise<boolean> {
    const claims = await this.signer.read(token);
    if (!claims) return false;
    await this.revocations.revoke(claims.jti, claims.expiresAt);
    return true;
  }

  revokeTokenId(jti: string, until: number | null = null): Promise<void> {
    return this.revocations.revoke(jti, until);
  }

  /** A device session key (the relay dialect's `key`) naming one user. */
  async createSessionKey(who: Identity, authType: AuthType): Promise<string> {
    const key = randomBytes(24).toString("base64url");
    const expiresAt = Date.now() + this.options.sessionKeyTtlSeconds * 1000;
    const created = Date.now();
    await this.store.kv.put(KEYS_NS, keyDigest(key), { id: who.id, name: who.name, color: who.color, guest: who.guest, authType, expiresAt, created }, expiresAt);
    return key;
  }

  async resolveSessionKey(key: string): Promise<AuthSession | null> {
    const entry = await this.store.kv.get(KEYS_NS, keyDigest(key));
    // Expired keys are gone from the store: they are "invalid" here too.
    if (!entry || typeof entry.id !== "string" || typeof entry.name !== "string") return this.failed({ credential: "session-key", reason: "invalid" }, null);
    const guest = entry.guest === true;
    const identity: Identity = { id: entry.id, name: entry.name, color: String(entry.color), verified: !guest, guest };
    const expiresAt = typeof entry.expiresAt === "number" ? entry.expiresAt : null;
    // A key stored before keys had `created` counts as made at 0: any revocation of its user ends it.
    const revocationId = credentialRef(`key:${keyDigest(key)}`, entry.id, typeof entry.created === "number" ? entry.created : 0);
    if (await this.revocations.isRevoked(revocationId)) return this.failed({ credential: "session-key", reason: "revoked" }, null);
    return { identity, revocationId, expiresAt, authType: guest ? "anonymous" : "password" };
  }

  /**
   * Every access token and session key of the user issued until now stops
   * working, on every node, and the sockets opened with them are closed.
   * Resolves to the moment before which they were revoked (ms epoch).
   */
  revokeUser(userId: string): Promise<number> {
    return this.revocations.revokeUser(userId);
  }

  /** Reports a refusal and hands back the answer that says it. */
  private failed<T>(failure: AuthFailure, answer: T): T {
    this.onAuthFailure(failure);
    return answer;
  }

  /** Deletes the key and closes every socket bound to it, on every node. */
  async deleteSessionKey(key: string): Promise<boolean> {
    const existed = await this.store.kv.delete(KEYS_NS, keyDigest(key));
    if (existed) await this.revocations.revoke(`key:${keyDigest(key)}`, Date.now() + this.options.sessionKeyTtlSeconds * 1000);
    return existed;
  }
}
