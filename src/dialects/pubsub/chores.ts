import { repeat } from "../../transport/timer-wheel.js";
import type { DialectContext } from "../types.js";
import type { PubsubSession } from "./session.js";

/**
 * The node's two pubsub chores, one timer each for all connections: reconcile
 * watched topics' presence with the broker, and checkpoint live sessions.
 */
export function startChores(ctx: DialectContext, sessions: Set<PubsubSession>): () => void {
  const cfg = ctx.config.pubsub;
  const stopSweep = repeat(ctx.wheel, cfg.presenceSweepMs, () => {
    void ctx.core.topics.presence.sweep().catch((err: unknown) => ctx.log.error({ err }, "pubsub presence sweep failed"));
  });
  const stopCheckpoints = repeat(ctx.wheel, Math.max(50, Math.min(cfg.checkpointMs, cfg.sessionTtlMs / 3)), (now) => {
    for (const session of sessions) session.checkpoint(now);
  });
  return () => {
    stopSweep();
    stopCheckpoints();
  };
}
