import type { Hub } from "../hub.js";
import { randomId } from "../identity.js";
import { OutFrame, type CoreEvent, type Renderer, type Subscriber, type UserRef } from "../types.js";
import { topicChannels } from "./channels.js";

export type PresenceChange = "join" | "leave";

/**
 * What this node has told its local watchers about one topic's members. Every
 * join/leave reaches the watchers through here, once per user: a signal for a
 * user already known (or already gone) is dropped, and `reconcile` turns
 * members who vanished from the broker's presence list without a signal — a
 * node that died — into leaves.
 */
export class PresenceView {
  readonly known = new Map<string, UserRef>();
  readonly watchers = new Map<string, Subscriber>();
  /** Bumped by every applied change: a reconcile that raced one is skipped. */
  version = 0;
  closed = false;
  ready: Promise<void> = Promise.resolve();
  private live = false;
  private readonly sink: Subscriber;

  constructor(
    readonly topic: string,
    private readonly hub: Hub,
    private readonly now: () => number,
  ) {
    // The hub offers no way to stop a `listen`, so the view attaches as a subscriber whose renderer takes the event.
    const renderer: Renderer = {
      render: (event) => {
        this.receive(event);
        return null;
      },
    };
    this.sink = { connId: "presence-view", user: { id: "system", name: "system" }, renderer, deliver: () => undefined };
  }

  async open(members: () => Promise<UserRef[]>): Promise<void> {
    const attachment = await this.hub.attach(topicChannels.presence(this.topic), this.sink, false);
    attachment.release(0);
    // Signals that arrived before the list are already reflected in it.
    for (const m of await members()) this.known.set(m.id, { id: m.id, name: m.name });
    this.live = true;
  }

  close(): void {
    this.closed = true;
    this.hub.detach(topicChannels.presence(this.topic), this.sink.connId);
  }

  private receive(event: CoreEvent): void {
    if (!this.live) return;
    if (event.type === "join" || event.type === "leave") this.apply(event.type, event.sender);
  }

  apply(change: PresenceChange, user: UserRef): void {
    if ((change === "join") === this.known.has(user.id)) return;
    this.version += 1;
    if (change === "join") this.known.set(user.id, { id: user.id, name: user.name });
    else this.known.delete(user.id);
    this.announce(change, user);
  }

  /** Brings the view in line with the broker's list, read while `version` was `since`. */
  reconcile(members: UserRef[], since: number): void {
    if (since !== this.version || !this.live) return;
    const present = new Map(members.map((m) => [m.id, m]));
    for (const user of [...this.known.values()]) if (!present.has(user.id)) this.apply("leave", user);
    for (const user of present.values()) if (!this.known.has(user.id)) this.apply("join", user);
  }

  /** Rendered once per renderer, the same frame for every watcher. */
  private announce(change: PresenceChange, user: UserRef): void {
    const event: CoreEvent = {
      channel: topicChannels.presence(this.topic),
      type: change,
      time: this.now(),
      sender: { id: user.id, name: user.name },
      data: { topic: this.topic, id: randomId(12) },
      lazy: true,
    };
    const frames = new Map<Renderer, OutFrame | null>();
    for (const watcher of this.watchers.values()) {
      let frame = frames.get(watcher.renderer);
      if (frame === undefined) {
        const text = watcher.renderer.render(event);
        frame = text === null ? null : new OutFrame(text, true);
        frames.set(watcher.renderer, frame);
      }
      if (frame) watcher.deliver(frame);
    }
  }
}
