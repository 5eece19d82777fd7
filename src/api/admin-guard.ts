import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Config } from "../config/schema.js";
import type { Counters } from "../engine/broker/types.js";
import { clientAddress } from "../transport/client-address.js";
import { bearer, HttpError } from "./http.js";

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Digests first, so the comparison takes the same time whatever the lengths. */
export function adminKeyMatches(given: string | null, key: string): boolean {
  return given !== null && key !== "" && timingSafeEqual(digest(given), digest(key));
}

const CHALLENGE = { "www-authenticate": 'Bearer realm="switchboard admin"' };

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
  ) {}

  async check(req: IncomingMessage): Promise<void> {
    const given = bearer(req);
    // No key at all is not a guess: a browser opening the dashboard signed out must not use up the allowance.
    if (given === null) throw new HttpError(401, "admin.unauthorized", "this route needs Authorization: Bearer <admin key>", CHALLENGE);
    const auth = this.config.auth;
    const counter = `admin-key:a:${clientAddress(req)}`;
    if ((await this.counters.get(counter)) >= auth.loginFailuresPerAddress) {
      throw new HttpError(429, "rate.limited", "too many wrong admin keys from this address; try again later", { "retry-after": String(auth.loginWindowSeconds) });
    }
    if (adminKeyMatches(given, auth.adminKey)) return;
    await this.counters.incr(counter, auth.loginWindowSeconds * 1000);
    throw new HttpError(401, "admin.unauthorized", "this route needs Authorization: Bearer <admin key>", CHALLENGE);
  }
}
