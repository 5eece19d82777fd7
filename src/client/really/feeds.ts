// Live reads (a collection read with `subscribe:true`: a room's messages, a
// document collection) and what recovering one after a reconnect takes: read
// the collection again newest first until an item the app already has shows
// up; everything newer is what it missed.

import type { ObjectSnapshot, ReadPage } from "./frames.js";

/** Items remembered per feed for recognising duplicates and the catch-up's stopping point. */
const SEEN_LIMIT = 1000;
/** Pages (of 200) a catch-up reads before it says recovery was incomplete. */
export const CATCH_UP_PAGES = 10;

export class Feed {
  private readonly seen = new Set<string>();
  /** While catching up, live pushes wait here so the missed items go first. */
  private held: ObjectSnapshot[] | null = null;

  constructor(
    /** The collection path with a trailing slash: `/rooms/lobby/messages/`, `/notes/`. */
    readonly r: string,
    readonly query: { filter: string; values?: Record<string, string | number | boolean | null> } | undefined,
  ) {}

  /** The first page of the watch (newest first, as read). */
  know(items: ObjectSnapshot[]): void {
    for (const item of [...items].reverse()) this.remember(item._r);
  }

  /** A live push: true when the app should get it now. */
  live(item: ObjectSnapshot): boolean {
    if (this.held) {
      this.held.push(item);
      return false;
    }
    if (this.seen.has(item._r)) return false;
    this.remember(item._r);
    return true;
  }

  beginCatchUp(): void {
    this.held = [];
  }

  /**
   * Takes one catch-up page (newest first); returns the items the app has not
   * seen and whether the point it had reached was found.
   */
  page(page: ReadPage): { fresh: ObjectSnapshot[]; found: boolean } {
    const fresh: ObjectSnapshot[] = [];
    for (const item of page.items) {
      if (this.seen.has(item.body._r)) return { fresh, found: true };
      fresh.push(item.body);
    }
    // An empty feed has no point to reach: everything in it is new.
    return { fresh, found: this.seen.size === 0 && !page.tokens.nextToken };
  }

  /** Ends the catch-up: the missed items (oldest first) then the held live ones, each once. */
  endCatchUp(missed: ObjectSnapshot[]): ObjectSnapshot[] {
    const out: ObjectSnapshot[] = [];
    const held = this.held ?? [];
    this.held = null;
    for (const item of [...missed, ...held]) {
      if (this.seen.has(item._r)) continue;
      this.remember(item._r);
      out.push(item);
    }
    return out;
  }

  /** A socket lost during the catch-up: the next one starts it again. */
  abortCatchUp(): void {
    this.held = null;
  }

  private remember(r: string): void {
    this.seen.add(r);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
  }
}

/** `/rooms/x/messages/8` → `/rooms/x/messages/`; `/notes/abc` → `/notes/`. */
export function collectionOf(r: string): string {
  const trimmed = r.endsWith("/") ? r.slice(0, -1) : r;
  return trimmed.slice(0, trimmed.lastIndexOf("/") + 1);
}

/** A collection path as feeds key it: leading and trailing slash. */
export function normalCollection(r: string): string {
  const withLead = r.startsWith("/") ? r : `/${r}`;
  return withLead.endsWith("/") ? withLead : `${withLead}/`;
}
