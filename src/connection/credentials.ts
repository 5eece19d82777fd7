import type { AuthSession } from "../core/auth.js";
import type { Core } from "../core/core.js";
import type { Timed, TimerWheel } from "../transport/timer-wheel.js";

export type CredentialEnd = "revoked" | "expired";

/**
 * Ends a connection when the credential it was opened with is revoked (on any
 * node) or reaches its expiry — noticed by the server itself, not on the
 * client's next frame. Returns the way to stop watching.
 */
export function watchCredential(core: Core, wheel: TimerWheel, auth: AuthSession, onEnd: (why: CredentialEnd) => void): () => void {
  let done = false;
  const finish = (why: CredentialEnd) => {
    if (done) return;
    done = true;
    stop();
    onEnd(why);
  };
  const unwatch = core.revocations.watch(auth.revocationId, () => finish("revoked"));
  const timer: Timed | null = auth.expiresAt === null ? null : { deadline: auth.expiresAt, onDeadline: () => finish("expired") };
  if (timer) wheel.schedule(timer);
  function stop(): void {
    done = true;
    unwatch();
    if (timer) wheel.cancel(timer);
  }
  return stop;
}
