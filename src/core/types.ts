import type { JsonObject } from "./json.js";

/** Who did something: enough to render a sender in any dialect. */
export interface UserRef {
  id: string;
  name: string;
}

/** The authenticated (or guest) identity a connection acts as. */
export interface Identity extends UserRef {
  color: string;
  /** true when the identity is backed by an account whose credentials were checked. */
  verified: boolean;
  guest: boolean;
}

/**
 * What the core fans out. Stored events carry `seq` (gapless per stream);
 * ephemeral signals (typing, joined, left, relay messages) do not.
 */
export interface CoreEvent {
  channel: string;
  type: string;
  seq?: number;
  time: number;
  sender: UserRef;
  data: JsonObject;
  /** Skip every connection of this user (e.g. "to the others"). */
  exceptUser?: string;
  /** Skip this one connection. */
  exceptConn?: string;
  /** A presence notice: it may wait for the next presence window before it is written (see `OutFrame.lazy`). */
  lazy?: boolean;
}

/** Text rendered once per dialect per event; transports cache their own framing on it. */
export class OutFrame {
  /** Transport-private cache (e.g. the pre-built WebSocket frame). */
  wire: Buffer | undefined;
  constructor(
    readonly text: string,
    /**
     * May wait up to one presence window (a few ms) before it is written, so
     * a crowd of joins costs each member one write per window, not one per
     * join. Never overtaken: anything written later to the same connection
     * takes it along first.
     */
    readonly lazy = false,
  ) {}
}

/** A dialect turns a core event into its own wire text, or null when it does not show it. */
export interface Renderer {
  render(event: CoreEvent): string | null;
}

/** One live connection as the core sees it. */
export interface Subscriber {
  readonly connId: string;
  readonly user: UserRef;
  readonly renderer: Renderer;
  deliver(frame: OutFrame): void;
  /**
   * A room administrator (in any dialect, on any node) kicked this
   * connection's user from `roomId`. A dialect whose members can be kicked
   * implements it: leave the room through the core and tell the user.
   */
  kickedFrom?(roomId: string, permanent: boolean): void;
}

export const channels = {
  room: (id: string) => `room:${id}`,
  user: (id: string) => `user:${id}`,
  topic: (name: string) => `topic:${name}`,
};
