// The relay protocol's frames (docs/dialects/relay.md), as types. Room and
// user ids are UUIDs.

export type RequestType = "ping" | "pong" | "enter" | "exit" | "message" | "read" | "invite" | "kick" | "close" | "open";

export type ClientFrame =
  | { type: "ping" | "pong"; time: number }
  | { type: "enter" | "exit"; room_id: string }
  | { type: "message"; key: string; content: string; room_id: string }
  | { type: "read"; message_id: number; room_id: string }
  | { type: "invite"; key: string; user_id: string; room_id: string }
  | { type: "kick"; key: string; user_id: string; room_id: string; message?: string | null; permanent: boolean }
  | { type: "close" | "open"; key: string; room_id: string };

export interface MessageFrame {
  type: "message";
  /** UNIX seconds with a millisecond fraction. */
  time: number;
  content: string;
  user_id: string;
  /** Per room, from 1, without gaps. */
  message_id: number;
  room_id: string;
}
export interface ReadFrame {
  type: "read";
  message_id: number;
  user_id: string;
  room_id: string;
}
export interface PresenceFrame {
  type: "enter" | "exit";
  user_id: string;
  room_id: string;
}
export interface InviteFrame {
  type: "invite";
  /** The inviter. */
  user_id: string;
  room_id: string;
}
export interface KickFrame {
  type: "kick";
  room_id: string;
  message: string | null;
  permanent: boolean;
}
export interface ErrorFrame {
  type: "error";
  code:
    | "frame.invalid"
    | "frame.too-large"
    | "type.unknown"
    | "uuid.invalid"
    | "key.mismatch"
    | "rate.limited"
    | "room.not-member"
    | "room.unknown"
    | "room.not-admin"
    | "room.closed"
    | "room.banned"
    | "rooms.too-many"
    | "user.banned"
    | "user.admin"
    | "user.not-member"
    | "message.unknown"
    | "pong.unexpected"
    | "internal.error";
  message: string;
  ref: RequestType | null;
}

export type ServerFrame = { type: "ping" | "pong"; time: number } | MessageFrame | ReadFrame | PresenceFrame | InviteFrame | KickFrame | ErrorFrame;

/** `POST /api/sessions`'s answer. */
export interface SessionKey {
  key: string;
  user_id: string;
  name: string;
  authType: "password" | "anonymous";
}
