export interface TopicRules {
  subscribe: string[];
  publish: string[];
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * One pattern as a regular expression for one user: segments split on `/`;
 * a `**` segment matches the rest (one or more segments), `*` matches within
 * one segment, `{user}` is the caller's id, everything else is literal.
 */
function compile(pattern: string, userId: string): RegExp {
  const segments = pattern.split("/").map((segment) => {
    if (segment === "**") return "[^/]+(?:/[^/]+)*";
    return segment
      .split("{user}")
      .map((part) => part.split("*").map(escape).join("[^/]*"))
      .join(escape(userId));
  });
  return new RegExp(`^${segments.join("/")}$`);
}

/** Which topics one user may subscribe and publish to, from the configured patterns. */
export class TopicPermissions {
  private readonly subscribe: RegExp[];
  private readonly publish: RegExp[];

  constructor(rules: TopicRules, userId: string) {
    this.subscribe = rules.subscribe.map((p) => compile(p, userId));
    this.publish = rules.publish.map((p) => compile(p, userId));
  }

  /** Matched against the name as written (`P/me`, `T/presence`). */
  canSubscribe(wire: string): boolean {
    return this.subscribe.some((re) => re.test(wire));
  }

  /** Matched against the topic underneath (`P/me` is `P/<own id>` here). */
  canPublish(canonical: string): boolean {
    return this.publish.some((re) => re.test(canonical));
  }
}
