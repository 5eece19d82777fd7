// The API's shapes, taken from the very zod schemas the server checks and
// documents them with (type-only: nothing of the server is bundled).
import type { z } from "zod";
import type {
  accountDetail,
  historyPage,
  presence,
  presenceMember,
  published,
  roomEvent,
  roomList,
  roomSummary,
  stats,
} from "../../../src/api/admin-schemas.js";

export type Stats = z.output<typeof stats>;
export type RoomSummary = z.output<typeof roomSummary>;
export type RoomList = z.output<typeof roomList>;
export type RoomEvent = z.output<typeof roomEvent>;
export type HistoryPage = z.output<typeof historyPage>;
export type Presence = z.output<typeof presence>;
export type PresenceMember = z.output<typeof presenceMember>;
export type Published = z.output<typeof published>;
export type AccountDetail = z.output<typeof accountDetail>;

/** What GET /api/config answers. */
export interface LiveConfig {
  settings: Record<string, unknown>;
  effective?: Record<string, unknown>;
}

/** One server-sent event of /api/admin/stream. */
export type StreamEvent =
  | { event: "stats"; data: Stats }
  | { event: "rooms"; data: RoomList }
  | { event: "room"; data: RoomSummary }
  | { event: "members"; data: Presence }
  | { event: "event"; data: RoomEvent };
