import { markDirty, type Flushable } from "../../transport/flush.js";
import type { Reader } from "../../transport/mailbox.js";
import type { FleetWire } from "./fleet.js";

/**
 * The home's side of a pull held open by another node: each turn's lines go
 * to that node as one message, tagged with the pull's id, and the end of the
 * pull is a message too. They travel on the pulling node's own channel, the
 * one that carried the answer attaching the pull: one publisher's messages on
 * one channel keep their order, so nothing overtakes anything.
 */
export class RemotePull implements Reader, Flushable {
  readonly mode = "stream";
  /** ms epoch of the pulling node's latest keep-alive. */
  seen = Date.now();
  private queue: string[] = [];
  private ended = false;

  constructor(
    private readonly wire: FleetWire,
    /** The node holding the response. */
    readonly node: string,
    readonly id: string,
  ) {}

  get open(): boolean {
    return !this.ended;
  }

  take(lines: string[]): boolean {
    if (this.ended) return false;
    for (const line of lines) this.queue.push(line);
    markDirty(this);
    return true;
  }

  flush(): void {
    if (this.ended || this.queue.length === 0) return;
    const lines = this.queue;
    this.queue = [];
    this.wire.tell(this.node, "lines", { pull: this.id, lines });
  }

  end(): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    this.wire.tell(this.node, "end", { pull: this.id });
  }

  /** The pulling node detached it: nothing more to send, nothing to tell. */
  drop(): void {
    this.ended = true;
    this.queue = [];
  }

  /** No keep-alive for longer than `ms`: the pulling node is gone (its own detach would have said so). */
  lost(now: number, ms: number): boolean {
    return now - this.seen > ms;
  }
}
