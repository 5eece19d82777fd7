import type { Timed } from "../../transport/timer-wheel.js";
import type { DialectContext } from "../types.js";
import type { PubsubSession } from "./session.js";

/** A repeating item on the shared wheel (the wheel fires each item once). */
function every(ctx: DialectContext, ms: number, run: (now: number) => void): () => void {
  let stopped = false;
  const item: Timed = {
    deadline: Date.now() + ms,
    onDeadline(now) {
      if (stopped) return;
      run(now);
      item.deadline = now + ms;
      ctx.wheel.schedule(item);
    },
  };
  ctx.wheel.schedule(item);
  return () => {
    stopped = true;
    ctx.wheel.cancel(item);
  };
}

/**
 * The node's two pubsub chores, one timer each for all connections: reconcile
 * watched topics' presence with the broker, and checkpoint live sessions.
 */
export function startChores(ctx: DialectContext, sessions: Set<PubsubSession>): () => void {
  const cfg = ctx.config.pubsub;
  const stopSweep = every(ctx, cfg.presenceSweepMs, () => {
    void ctx.core.topics.presence.sweep().catch((err: unknown) => ctx.log.error({ err }, "pubsub presence sweep failed"));
  });
  const stopCheckpoints = every(ctx, Math.max(50, Math.min(cfg.checkpointMs, cfg.sessionTtlMs / 3)), (now) => {
    for (const session of sessions) session.checkpoint(now);
  });
  return () => {
    stopSweep();
    stopCheckpoints();
  };
}
