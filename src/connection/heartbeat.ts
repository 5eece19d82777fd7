import type { Timed, TimerWheel } from "../transport/timer-wheel.js";

/** How long a peer that missed its pong has to finish the close handshake before its socket is dropped. */
const CLOSE_GRACE_MS = 1000;

export interface HeartbeatHooks {
  /** Sends a ping for `now`; returns the value its pong must carry. */
  ping(now: number): number;
  /** No pong in time: start a clean close. */
  lost(): void;
  /** The close did not complete either: drop the socket. */
  kill(): void;
}

/**
 * Server pings for protocols that have them (relay): on the shared wheel,
 * one `Timed` per connection, no timer of its own. The deadline is the next
 * ping, or the end of the wait for a pong, or the end of the close grace
 * after a missed one.
 */
export class Heartbeat implements Timed {
  deadline: number;
  private state: "idle" | "awaiting" | "lost" = "idle";
  /** The `time` of the ping in flight: its pong must carry exactly this. */
  private pingTime = 0;
  private pingSentAt = 0;

  constructor(
    private readonly wheel: TimerWheel,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly hooks: HeartbeatHooks,
    now = Date.now(),
  ) {
    this.deadline = now + intervalMs;
    wheel.schedule(this);
  }

  /** A ping is waiting for its pong: only then can a frame be one. */
  get awaiting(): boolean {
    return this.state === "awaiting";
  }

  onDeadline(now: number): void {
    if (this.state === "lost") {
      this.deadline = 0;
      return this.hooks.kill();
    }
    if (this.state === "awaiting") {
      this.state = "lost";
      this.deadline = now + CLOSE_GRACE_MS;
      this.wheel.schedule(this);
      return this.hooks.lost();
    }
    this.state = "awaiting";
    this.pingSentAt = now;
    this.deadline = now + this.timeoutMs;
    this.wheel.schedule(this);
    this.pingTime = this.hooks.ping(now);
  }

  /** False when `time` answers no ping in flight. */
  pong(time: number): boolean {
    if (this.state !== "awaiting" || time !== this.pingTime) return false;
    this.state = "idle";
    const next = this.pingSentAt + this.intervalMs;
    const earlier = next < this.deadline;
    this.deadline = next;
    // A later deadline is found by the wheel on its own; an earlier one needs its own slot.
    if (earlier) this.wheel.schedule(this);
    return true;
  }

  stop(): void {
    this.wheel.cancel(this);
  }
}
