import type { Claims } from "../engine/broker/types.js";

/** A claim outlives its node by at most this long; live holders renew it well before. */
const CLAIM_TTL_MS = 60_000;
const RENEW_EVERY_MS = CLAIM_TTL_MS / 3;

/**
 * Free (account-less) display names claimed by live sessions, fleet-wide: a
 * name is the claimant's until that session ends, on whichever node it is.
 * Claims expire, so a node that dies frees its names within a minute; this
 * node renews the claims of its live sessions. Keys are case-insensitive.
 */
export class NameClaims {
  /** name key → owner, for the claims this node holds and must renew. */
  private readonly held = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly claims: Claims,
    /** Makes a session id unique across the fleet (the node id). */
    private readonly node: string,
  ) {}

  async claim(name: string, owner: string): Promise<boolean> {
    const key = name.toLowerCase();
    const ok = await this.claims.claim(`name:${key}`, this.owner(owner), CLAIM_TTL_MS);
    if (ok) this.held.set(key, owner);
    return ok;
  }

  release(name: string, owner: string): void {
    const key = name.toLowerCase();
    if (this.held.get(key) !== owner) return;
    this.held.delete(key);
    // A release that fails (broker down) only delays the name's freedom until the claim expires.
    void this.claims.release(`name:${key}`, this.owner(owner)).catch(() => undefined);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.renew(), RENEW_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async renew(): Promise<void> {
    for (const [key, owner] of [...this.held]) {
      await this.claims.claim(`name:${key}`, this.owner(owner), CLAIM_TTL_MS).catch(() => undefined);
    }
  }

  private owner(session: string): string {
    return `${this.node}/${session}`;
  }
}
