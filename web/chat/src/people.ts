// Names and colours for user ids. A message carries only its sender's id, so
// the chat remembers every user it has met (members, joins, renames), in this
// browser too, to name the senders of older messages.

import type { User } from "../../../src/client/instalk.js";

const KEY = "switchboard-chat:people";
const LIMIT = 2000;

export class People {
  private readonly byId = new Map<string, { name: string; color: string }>();

  constructor() {
    try {
      const saved: unknown = JSON.parse(localStorage.getItem(KEY) ?? "{}");
      if (saved && typeof saved === "object") for (const [id, v] of Object.entries(saved as Record<string, { name: string; color: string }>)) this.byId.set(id, v);
    } catch {
      // Nothing saved, or not readable: start empty.
    }
  }

  add(user: User): void {
    const known = this.byId.get(user.id);
    if (known && known.name === user.username && known.color === user.color) return;
    this.byId.delete(user.id);
    this.byId.set(user.id, { name: user.username, color: user.color });
    if (this.byId.size > LIMIT) this.byId.delete(this.byId.keys().next().value as string);
    try {
      localStorage.setItem(KEY, JSON.stringify(Object.fromEntries(this.byId)));
    } catch {
      // Storage full or blocked: names are then known for this visit only.
    }
  }

  name(id: string): string {
    return this.byId.get(id)?.name ?? `someone (${id.slice(0, 6)})`;
  }

  color(id: string): string {
    return this.byId.get(id)?.color ?? hashColor(id);
  }
}

/** A stable colour for an id nobody has named yet. */
function hashColor(id: string): string {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h % 360} 55% 45%)`;
}
