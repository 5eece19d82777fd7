import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Config } from "../config/schema.js";
import type { AuthFailure } from "../core/accounts/accounts.js";
import type { Counters } from "../engine/broker/types.js";
import { clientAddress } from "../transport/client-address.js";
import { bearer, HttpError } from "./http.js";

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Digests first, so the comparison takes the same time whatever the lengths. */
export function adminKeyMatches(given: string | null, key: string): boolean {
  return given !== null && key !== "" && timingSafeEqual(digest(given), digest(key));
}

const CHALLENGE = { "www-authenticate": 'Bearer realm="switchboard admin"' };

type FailureListener = (failure: AuthFailure) => void;

/**
 * Who hears of refused admin keys, per server. The API registry builds the
 * guard from the counters and the config alone, so the server registers its
 * metrics here against its own config object (one per running server).
 */
const listeners = new WeakMap<Config, FailureListener>();

export function onAdminKeyFailure(config: Config, fn: FailureListener): void {
  listeners.set(config, fn);
}

/**
 * The admin key check of every admin route. Wrong keys are counted per client
 * address in the fleet's counters (so N nodes do not give N times the
 * allowance); an address over `auth.loginFailuresPerAddress` wrong keys in
 * `auth.loginWindowSeconds` is refused without a comparison — even with the
 * right key, or guessing would learn when it hit.
 */
export class AdminGuard {
  constructor(
    private readonly counters: Counters,
    private readonly config: Config,
    private readonly onFailure: FailureListener = (failure) => listeners.get(config)?.(failure),
  ) {}

  async check(req: IncomingMessage): Promise<void> {
    const given = bearer(req);
    // No key at all is not a guess: a browser opening the dashboard signed out must not use up the allowance.
    if (given === null) throw new HttpError(401, "admin.unauthorized", "this route needs Authorization: Bearer <admin key>", CHALLENGE);
    const auth = this.config.auth;
    const counter = `admin-key:a:${clientAddress(req)}`;
    if ((await this.counters.get(counter)) >= auth.loginFailuresPerAddress) {
      this.onFailure({ credential: "admin-key", reason: "rate-limited" });
      throw new HttpError(429, "rate.limited", "too many wrong admin keys from this address; try again later", { "retry-after": String(auth.loginWindowSeconds) });
    }
    if (adminKeyMatches(given, auth.adminKey)) return;
    await this.counters.incr(counter, auth.loginWindowSeconds * 1000);
    this.onFailure({ credential: "admin-key", reason: "invalid" });
    throw new HttpError(401, "admin.unauthorized", "this route needs Authorization: Bearer <admin key>", CHALLENGE);
  }
}
