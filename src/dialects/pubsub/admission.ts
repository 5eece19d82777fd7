import type { AuthSession } from "../../core/auth.js";
import { colorFor } from "../../core/identity.js";
import type { Identity } from "../../core/types.js";
import type { DialectContext } from "../types.js";
import type { ExternalVerifiers } from "./verifier.js";

export type Admission = { ok: true; identity: Identity; credential: AuthSession | null } | { ok: false; code: 401 | 503 };

/**
 * `connect`'s providers: `switchboard` (this server's access tokens),
 * `anonymous` (a fresh guest, when allowed), or a configured external one,
 * whose users get ids namespaced as `<provider>:<id>`.
 */
export async function admit(ctx: DialectContext, verifiers: ExternalVerifiers, provider: string, token: string): Promise<Admission> {
  if (provider === "switchboard") {
    if (!token) return { ok: false, code: 401 };
    let auth: AuthSession | null;
    try {
      auth = await ctx.core.auth.verify(token);
    } catch (err) {
      ctx.log.error({ err }, "pubsub token check failed");
      return { ok: false, code: 503 };
    }
    return auth ? { ok: true, identity: auth.identity, credential: auth } : { ok: false, code: 401 };
  }
  if (provider === "anonymous") {
    if (!ctx.config.auth.allowAnonymous) return { ok: false, code: 401 };
    return { ok: true, identity: ctx.core.accounts.anonymousIdentity(), credential: null };
  }
  if (!verifiers.has(provider) || !token) return { ok: false, code: 401 };
  const verdict = await verifiers.verify(provider, token);
  if (!verdict.ok) return verdict;
  const { id, name } = verdict.user;
  return { ok: true, identity: { id, name, color: colorFor(name), verified: true, guest: false }, credential: null };
}
