import { LOBBY_EVENTS as E } from "../../core/lobby/types.js";
import type { CoreEvent, Renderer } from "../../core/types.js";

export const FUSE_EVENTS = { sent: "fuse.sent", move: "fuse.move" } as const;

const WORDS = new Map<string, string>([
  [E.gone, "gone"],
  [E.stop, "stop"],
  [E.halt, "halt"],
  [E.kill, "kill"],
  [E.link, "link"],
]);

/** Text from other dialects may hold line breaks; on this wire a break would start a forged line. */
const flat = (text: unknown) => String(text).replace(/[\r\n]+/g, " ");

/**
 * Turns core events into fuse lines. There is one renderer per public
 * address: `here` carries a member's address hint only to users behind the
 * same address, so the hub renders each event once per address, not per user.
 */
export class FuseRenderer implements Renderer {
  constructor(readonly addr: string) {}

  render(e: CoreEvent): string | null {
    const name = flat(e.sender.name);
    const d = e.data;
    switch (e.type) {
      case E.here:
        return d.addr === this.addr && typeof d.hint === "string" ? `here|${name}|${d.hint}` : `here|${name}`;
      case E.made:
        return `made|${name}+${flat(d.type)}+${Number(d.size)}`;
      case E.away:
        return `away|${name}|${d.away === true}`;
      case "msg":
        return typeof d.body === "string" ? `text|${name}|${flat(d.body)}` : null;
      case FUSE_EVENTS.sent:
        return `sent|${name}|${flat(d.data)}`;
      case FUSE_EVENTS.move:
        return `data|${name}|${flat(d.data)}`;
      default: {
        const word = WORDS.get(e.type);
        return word === undefined ? null : `${word}|${name}`;
      }
    }
  }
}

/** Renderers shared by the sessions behind one address, dropped when the last of them ends. */
export class Renderers {
  private readonly byAddr = new Map<string, { renderer: FuseRenderer; users: number }>();

  take(addr: string): FuseRenderer {
    let entry = this.byAddr.get(addr);
    if (!entry) this.byAddr.set(addr, (entry = { renderer: new FuseRenderer(addr), users: 0 }));
    entry.users += 1;
    return entry.renderer;
  }

  give(addr: string): void {
    const entry = this.byAddr.get(addr);
    if (entry && --entry.users <= 0) this.byAddr.delete(addr);
  }
}
