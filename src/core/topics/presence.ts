import type { Hub } from "../hub.js";
import type { Presence } from "../presence.js";
import type { Identity, Subscriber, UserRef } from "../types.js";
import { topicChannels } from "./channels.js";
import { PresenceView, type PresenceChange } from "./presence-view.js";

/**
 * Topic membership on top of the core's user-level presence: the members of a
 * topic are its subscribers, one per user however many connections it has,
 * on every node. Only the Broker port is relied on, so a broker that expires a
 * dead node's entries is enough for its users to leave.
 */
export class TopicPresence {
  private readonly views = new Map<string, PresenceView>();
  private sweeping = false;

  constructor(
    private readonly hub: Hub,
    private readonly presence: Presence,
    private readonly now: () => number,
  ) {
    // A subscriber whose node died leaves the topic as if it had unsubscribed.
    presence.onDeparture(topicChannels.stream(""), async (channel, who, last) => {
      if (last) await this.signal(channel.slice(topicChannels.stream("").length), who, "leave");
    });
  }

  async join(topic: string, connId: string, who: Identity): Promise<void> {
    if (await this.presence.add(topicChannels.stream(topic), connId, who)) await this.signal(topic, who, "join");
  }

  async leave(topic: string, connId: string, who: UserRef): Promise<void> {
    if (await this.presence.remove(topicChannels.stream(topic), connId, who.id)) await this.signal(topic, who, "leave");
  }

  async members(topic: string): Promise<UserRef[]> {
    return (await this.presence.members(topicChannels.stream(topic))).map((m) => ({ id: m.id, name: m.name }));
  }

  /** Sends `watcher` the topic's joins and leaves from now on; resolves to the members they start from. */
  async watch(topic: string, watcher: Subscriber): Promise<UserRef[]> {
    for (;;) {
      let view = this.views.get(topic);
      if (!view) {
        const fresh = new PresenceView(topic, this.hub, this.now);
        fresh.ready = fresh.open(() => this.members(topic));
        this.views.set(topic, (view = fresh));
      }
      try {
        await view.ready;
      } catch (err) {
        this.drop(view);
        throw err;
      }
      // Added only now, in the same turn the members are read: no change reaches it twice.
      if (view.closed) continue;
      view.watchers.set(watcher.connId, watcher);
      return [...view.known.values()];
    }
  }

  unwatch(topic: string, connId: string): void {
    const view = this.views.get(topic);
    if (!view || !view.watchers.delete(connId) || view.watchers.size > 0) return;
    this.drop(view);
  }

  /** Reconciles every watched topic with the broker's presence list: how a dead node's users leave. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (const view of [...this.views.values()]) {
        if (view.closed) continue;
        const since = view.version;
        const members = await this.members(view.topic).catch(() => null);
        if (members) view.reconcile(members, since);
      }
    } finally {
      this.sweeping = false;
    }
  }

  private drop(view: PresenceView): void {
    if (this.views.get(view.topic) === view) this.views.delete(view.topic);
    view.close();
  }

  private signal(topic: string, who: UserRef, change: PresenceChange): Promise<void> {
    return this.hub.publish({ channel: topicChannels.presence(topic), type: change, time: this.now(), sender: { id: who.id, name: who.name }, data: { topic } });
  }
}
