// Every frame of the instalk protocol (docs/dialects/instalk.md), as types.

import type { Json } from "../common/json.js";

/** An EJSON date: `{"$date":"2026-11-22T10:00:00.000Z"}`. */
export interface EjsonDate {
  $date: string;
}

export interface User {
  id: string;
  username: string;
  /** `#RRGGBB`, stable for a name. */
  color: string;
  /** True for an account signed in with its token. */
  verified: boolean;
  /** Compatibility fields the original client reads. */
  auth?: boolean;
  info?: { name: string; color: string };
}

interface StoredHead {
  /** The room's event number: from 1, no gaps, over every stored event. */
  nr: number;
  time: EjsonDate;
  /** The sender's user id. */
  sid: string;
}

export interface MsgData extends StoredHead {
  body: string;
  mentions: Json[];
  attachments: Json[];
}

export interface MsgEvent {
  r: string;
  o: "msg";
  data: MsgData;
}

export interface TopicEvent {
  r: string;
  o: "set-room-topic";
  data: StoredHead & { topic: string; when?: number; sender?: User };
}

export interface UserInfoEvent {
  r: string;
  o: "set-user-info";
  data: StoredHead & { user: User; sender?: User };
}

/** What a room stores: each has an `nr`, and history replies list them as members received them. */
export type StoredEvent = MsgEvent | TopicEvent | UserInfoEvent;

export interface RoomWelcome {
  /** The other users in the room, one entry each. */
  members: User[];
  /** The last stored events (50 by default), oldest first. */
  messages: StoredEvent[];
  topic: string;
}

export interface ErrorBody {
  code: number;
  msg: string;
  errors?: Record<string, string>;
}

// ---- frames the client sends ----

export type ClientFrame =
  | { v: "0.1" }
  | { "heart-beat": number }
  | { identity: string; mail?: string; token?: string }
  | { r: string; o: "join" | "leave" | "bt" | "st" | "away" }
  | { r: string; o: "msg"; data: { body: string; mentions?: Json[]; attachments?: Json[] } }
  | { r: string; o: "set-room-topic"; data: { topic: string } }
  | { r: string; o: "load"; data: { "last-msg-nr": number } }
  | { r: string; o: "sync"; data: { from: number } }
  | { r: string; o: "fetch"; data: { before: number } };

// ---- frames the server sends ----

export interface WelcomeFrame {
  welcome: 1;
  user: User;
}
export interface ConnectFailedFrame {
  o: "connect-failed";
  reason: { code: "version.unsupported" | "init.required"; supported?: string[] };
}
export interface TimeoutFrame {
  timeout: 1;
}
export interface HeartBeatAckFrame {
  "heart-beat-ack": number;
}
export type IdentifiedFrame = { identified: true; user: User } | { identified: false; reason: { code: "name.taken" | "name.invalid" | "mail.invalid" | "token.invalid" } };
export interface RoomWelcomeFrame {
  r: string;
  o: "room-welcome";
  data: RoomWelcome;
}
export interface JoinFailedFrame {
  r: string;
  o: "join-failed";
  reason: { code: "room.invalid" | "room.banned" | "room.closed" | "rooms.too-many" | (string & {}) };
}
export interface RoomByeFrame {
  r: string;
  o: "room-bye";
  reason?: { code: "room.kicked" | "room.banned" };
}
export interface JoinedFrame {
  r: string;
  o: "joined" | "left";
  data: { user: User; time: EjsonDate; when?: number };
}
export interface DisconnectFrame {
  r: string;
  o: "disconnect";
  sid: string;
  time: EjsonDate;
}
export interface SignalFrame {
  r: string;
  o: "bt" | "st" | "away";
  sid: string;
  time: EjsonDate;
}
export interface HistoryFrame {
  r: string;
  o: "load" | "fetch";
  data: { messages: StoredEvent[] };
}
export interface SyncFrame {
  r: string;
  o: "sync";
  data: { messages: StoredEvent[]; more: boolean };
}
export interface RoomErrorFrame {
  r?: string;
  o?: string;
  error: ErrorBody;
}

export type ServerFrame =
  | WelcomeFrame
  | ConnectFailedFrame
  | TimeoutFrame
  | HeartBeatAckFrame
  | IdentifiedFrame
  | RoomWelcomeFrame
  | JoinFailedFrame
  | RoomByeFrame
  | StoredEvent
  | JoinedFrame
  | DisconnectFrame
  | SignalFrame
  | HistoryFrame
  | SyncFrame
  | RoomErrorFrame;

export const isStored = (f: { o?: unknown; data?: unknown }): f is StoredEvent =>
  (f.o === "msg" || f.o === "set-room-topic" || f.o === "set-user-info") && typeof (f.data as { nr?: unknown } | undefined)?.nr === "number";
