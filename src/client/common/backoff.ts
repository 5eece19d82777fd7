// Exponential backoff with jitter for reconnect attempts: many clients cut
// off by one server restart must not all come back in the same instant.

export interface BackoffOptions {
  /** Delay before the first retry (default 250 ms). */
  initialDelayMs?: number;
  /** The delay never grows past this (default 10 s). */
  maxDelayMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Fraction of each delay that is random, 0 to 1 (default 0.5: between half and all of it). */
  jitter?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
}

export type ResolvedBackoff = Required<BackoffOptions>;

export function resolveBackoff(opts: BackoffOptions = {}): ResolvedBackoff {
  return {
    initialDelayMs: opts.initialDelayMs ?? 250,
    maxDelayMs: opts.maxDelayMs ?? 10_000,
    factor: opts.factor ?? 2,
    jitter: Math.min(1, Math.max(0, opts.jitter ?? 0.5)),
    maxAttempts: opts.maxAttempts ?? Number.POSITIVE_INFINITY,
  };
}

/** The wait before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, opts: ResolvedBackoff, random: () => number = Math.random): number {
  const base = Math.min(opts.maxDelayMs, opts.initialDelayMs * opts.factor ** attempt);
  return Math.round(base * (1 - opts.jitter + opts.jitter * random()));
}
