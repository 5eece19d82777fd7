import { randomUUID } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";

export type AuthType = "password" | "anonymous";

export interface TokenClaims {
  /** Token id: what revocation names. */
  jti: string;
  /** User id. */
  sub: string;
  name: string;
  authType: AuthType;
  /** Expiry, ms since epoch. */
  expiresAt: number;
  /** When it was signed, ms since epoch: a user's revocation ends the credentials issued before it. */
  issuedAt: number;
}

const ISSUER = "switchboard";

/**
 * HS256 access tokens. The first secret signs; every listed secret verifies,
 * so a key is rotated by putting the new one first and keeping the old one
 * until the tokens it signed have expired.
 */
export class TokenSigner {
  private readonly keys: Uint8Array[];

  constructor(secrets: string[]) {
    if (secrets.length === 0) throw new Error("at least one token secret is needed");
    this.keys = secrets.map((s) => new TextEncoder().encode(s));
  }

  async sign(sub: string, name: string, authType: AuthType, ttlSeconds: number): Promise<{ token: string; claims: TokenClaims }> {
    const jti = randomUUID();
    const now = Date.now();
    const nowSec = Math.floor(now / 1000);
    // JWT times are whole seconds: round the expiry up, so a token lives at least its TTL (a floored 1 s TTL could be spent already).
    const exp = Math.ceil(now / 1000 + ttlSeconds);
    // `iat` is whole seconds; `iat_ms` tells a token signed just after a user's revocation from one signed just before it.
    const token = await new SignJWT({ name, authType, iat_ms: now })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(ISSUER)
      .setSubject(sub)
      .setJti(jti)
      .setIssuedAt(nowSec)
      .setExpirationTime(exp)
      .sign(this.keys[0]);
    return { token, claims: { jti, sub, name, authType, expiresAt: exp * 1000, issuedAt: now } };
  }

  /** The claims of a well-signed, unexpired token; null for anything else. */
  async read(token: string): Promise<TokenClaims | null> {
    const claims = await this.inspect(token);
    return typeof claims === "string" ? null : claims;
  }

  /** As `read`, but says why a token is refused: an expired one is counted apart from garbage (metrics). */
  async inspect(token: string): Promise<TokenClaims | "invalid" | "expired"> {
    for (const key of this.keys) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ["HS256"] });
        const { jti, sub, exp, name, authType, iat, iat_ms: iatMs } = payload;
        if (typeof jti !== "string" || typeof sub !== "string" || typeof exp !== "number" || typeof name !== "string") return "invalid";
        if (authType !== "password" && authType !== "anonymous") return "invalid";
        // A token from before `iat_ms` existed counts from the start of its second (or as issued at 0 without `iat`).
        const issuedAt = typeof iatMs === "number" ? iatMs : typeof iat === "number" ? iat * 1000 : 0;
        return { jti, sub, name, authType, expiresAt: exp * 1000, issuedAt };
      } catch (err) {
        if (err instanceof errors.JWTExpired) return "expired";
        // Only a bad signature is worth trying the next (older) key for.
        if (!(err instanceof errors.JWSSignatureVerificationFailed)) return "invalid";
      }
    }
    return "invalid";
  }
}
