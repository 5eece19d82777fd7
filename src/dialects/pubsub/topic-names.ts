/** Segments of letters, digits and `._:@~+-`, joined by `/`: no wildcard or placeholder characters. */
export const TOPIC_NAME = /^[A-Za-z0-9._:@~+-]+(?:\/[A-Za-z0-9._:@~+-]+)*$/;
export const MAX_TOPIC_CHARS = 256;

const PRESENCE = "/presence";
const ME = "/me";

/**
 * How the protocol reads a topic name: `T/presence` follows the members of
 * `T`; `P/me` is the caller's personal topic, which is `P/<user id>` underneath;
 * anything else is a topic of its own.
 */
export type TopicKind = "plain" | "me" | "presence";

export interface TopicRef {
  /** As the client wrote it, and as frames name it back. */
  wire: string;
  kind: TopicKind;
  /** The topic underneath: the followed topic of a presence name, `P/<user id>` for `P/me`. */
  canonical: string;
}

export function topicRef(wire: string, userId: string): TopicRef {
  if (wire.endsWith(PRESENCE) && wire.length > PRESENCE.length) return { wire, kind: "presence", canonical: wire.slice(0, -PRESENCE.length) };
  if (wire.endsWith(ME) && wire.length > ME.length) return { wire, kind: "me", canonical: `${wire.slice(0, -ME.length)}/${userId}` };
  return { wire, kind: "plain", canonical: wire };
}

/** `P/<user id>` as its owner's subscription names it. */
export function meName(canonical: string): string {
  return `${canonical.slice(0, canonical.lastIndexOf("/"))}${ME}`;
}
