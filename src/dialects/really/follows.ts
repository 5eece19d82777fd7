import type { Attachment, Hub } from "../../core/hub.js";
import type { CoreEvent, Subscriber } from "../../core/types.js";
import { refuse } from "./errors.js";

/** The hub channels one socket follows (subscribed objects, live reads), bounded per socket. */
export class Follows {
  private readonly channels = new Set<string>();

  constructor(
    private readonly hub: Hub,
    private readonly sub: Subscriber,
    private readonly max: number,
  ) {}

  /** With `hold`, live events wait for the attachment's release (sent after the reply they must not overtake). */
  async follow(channel: string, hold: boolean, accepts?: (event: CoreEvent) => boolean): Promise<Attachment> {
    if (!this.channels.has(channel) && this.channels.size >= this.max) refuse(429, "subscriptions.too-many");
    this.channels.add(channel);
    return this.hub.attach(channel, this.sub, hold, accepts);
  }

  unfollow(channel: string): boolean {
    if (!this.channels.delete(channel)) return false;
    this.hub.detach(channel, this.sub.connId);
    return true;
  }

  clear(): void {
    for (const channel of this.channels) this.hub.detach(channel, this.sub.connId);
    this.channels.clear();
  }
}
