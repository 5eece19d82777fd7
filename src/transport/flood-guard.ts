/**
 * Refusals of one flood that are answered: enough for a client that merely
 * bursts a little over its allowance to hear of each refused request (a
 * really tag, a pubsub id it waits on), few enough that a flood is not
 * answered frame for frame (the answers would cost the server as much as
 * the frames).
 */
export const FLOOD_ANSWERS = 10;

/** A connection not refused for this long has stopped flooding: its next refusal starts a new flood. */
export const FLOOD_QUIET_MS = 1000;

/** What to do with a frame the rate limit refused. */
export type FloodVerdict = "answer" | "drop" | "cut";

/**
 * Tells a connection that went over its rate limit once from one that keeps
 * flooding. A flood starts with a refused frame and lasts while refusals keep
 * coming less than `FLOOD_QUIET_MS` apart. Its first `FLOOD_ANSWERS`
 * refusals are answered, the rest dropped unread; a flood still going after
 * the grace period ends the connection. Three numbers per connection, made
 * only once it is first refused.
 */
export class FloodGuard {
  /** When the current flood started (its first refusal). */
  private since = 0;
  private last = 0;
  private answered = 0;

  refused(now: number, graceMs: number): FloodVerdict {
    if (now - this.last > FLOOD_QUIET_MS) {
      this.since = now;
      this.answered = 0;
    }
    this.last = now;
    if (now - this.since >= graceMs) return "cut";
    if (this.answered >= FLOOD_ANSWERS) return "drop";
    this.answered += 1;
    return "answer";
  }
}
