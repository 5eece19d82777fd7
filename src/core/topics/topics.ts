import type { Store } from "../../engine/store/types.js";
import type { Revocations } from "../accounts/revocations.js";
import type { Hub } from "../hub.js";
import type { Presence } from "../presence.js";
import { TopicPresence } from "./presence.js";
import { TopicSessions } from "./sessions.js";
import { TopicStreams, type HistoryLimits } from "./streams.js";

export interface TopicsOptions extends HistoryLimits {
  /** How long a session stays resumable after its connection went away. */
  sessionTtlMs: number;
}

/** Topic publish/subscribe: stored messages with bounded history, topic presence, resumable sessions. */
export class Topics {
  readonly streams: TopicStreams;
  readonly presence: TopicPresence;
  readonly sessions: TopicSessions;

  constructor(store: Store, hub: Hub, presence: Presence, revocations: Revocations, options: TopicsOptions, now: () => number = Date.now) {
    this.streams = new TopicStreams(store, hub, options, now);
    this.presence = new TopicPresence(hub, presence, now);
    this.sessions = new TopicSessions(store, hub, revocations, options.sessionTtlMs, now);
  }
}
