import { createHash } from "node:crypto";
import { z } from "zod";
import type { UserRef } from "../../core/types.js";
import type { Logger } from "../../observability/log.js";

export interface ProviderConfig {
  verifierUrl: string;
  timeoutMs: number;
  cacheSeconds: number;
}

/** 401: the provider said no. 503: it could not be asked (down, slow, or an answer that makes no sense). */
export type Verdict = { ok: true; user: UserRef } | { ok: false; code: 401 | 503 };

const CACHE_MAX = 10_000;
const BODY_MAX = 64 * 1024;
/** No `/` (ids end up in topic names) and no `:` (it separates the provider). */
const answer = z.object({
  id: z.union([z.string().regex(/^[A-Za-z0-9._@~+-]{1,128}$/), z.number().int().nonnegative()]),
  name: z.string().trim().min(1).max(64),
});

/**
 * External login providers: the configured verifier is asked by POST with a
 * short timeout, and its answers (yes or no, never "unavailable") are kept for
 * `cacheSeconds` in a bounded cache, keyed by a hash rather than the token.
 */
export class ExternalVerifiers {
  private readonly cache = new Map<string, { verdict: Verdict; until: number }>();
  private readonly inflight = new Map<string, Promise<Verdict>>();

  constructor(
    private readonly providers: Record<string, ProviderConfig>,
    private readonly log: Logger,
  ) {}

  has(provider: string): boolean {
    return Object.hasOwn(this.providers, provider);
  }

  verify(provider: string, token: string): Promise<Verdict> {
    const config = this.providers[provider];
    const key = `${provider}\n${createHash("sha256").update(token).digest("base64url")}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return Promise.resolve(cached.verdict);
    if (cached) this.cache.delete(key);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.ask(provider, config, token).then((verdict) => {
        this.inflight.delete(key);
        if ((verdict.ok || verdict.code === 401) && config.cacheSeconds > 0) this.remember(key, verdict, config.cacheSeconds);
        return verdict;
      });
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private remember(key: string, verdict: Verdict, seconds: number): void {
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { verdict, until: Date.now() + seconds * 1000 });
  }

  private async ask(provider: string, config: ProviderConfig, token: string): Promise<Verdict> {
    try {
      const res = await fetch(config.verifierUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ provider, access_token: token }),
        signal: AbortSignal.timeout(config.timeoutMs),
        redirect: "error",
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        if (res.status >= 400 && res.status < 500) return { ok: false, code: 401 };
        this.log.warn({ provider, status: res.status }, "login verifier failed");
        return { ok: false, code: 503 };
      }
      if (Number(res.headers.get("content-length") ?? 0) > BODY_MAX) throw new Error("verifier answer too large");
      const text = await res.text();
      if (text.length > BODY_MAX) throw new Error("verifier answer too large");
      const parsed = answer.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error("verifier answer is not {id, name}");
      return { ok: true, user: { id: `${provider}:${parsed.data.id}`, name: parsed.data.name } };
    } catch (err) {
      this.log.warn({ provider, err: (err as Error).message }, "login verifier unavailable");
      return { ok: false, code: 503 };
    }
  }
}
