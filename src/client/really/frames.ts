// The really protocol's frames (docs/dialects/really.md), as types.

import type { Json, JsonObject } from "../common/json.js";

export type Command = "initialize" | "ping" | "get" | "read" | "create" | "update" | "delete" | "subscribe" | "unsubscribe";

export interface ReadOptions {
  /** Items per page (default 20, at most 200). */
  limit?: number;
  /** Oldest first (default: newest first). */
  ascending?: boolean;
  paginationToken?: string;
  /** `{filter:"age > $min and city = $c", values:{min:20,c:"Oslo"}}` */
  query?: { filter: string; values?: Record<string, string | number | boolean | null> };
  subscribe?: boolean;
}

export type UpdateOp =
  | { op: "set" | "addNumber" | "push" | "addToSet" | "pull"; key: string; value: Json; opArgs?: Json }
  | { op: "insertAt"; key: string; value: Json; opArgs?: Json }
  | { op: "removeAt"; key: string; opArgs?: Json };

export interface ClientRequest {
  tag: number;
  cmd: Command;
  r?: string;
  rev?: number;
  body?: JsonObject;
  cmdOpts?: ReadOptions | { fields?: string[] };
  accessToken?: string;
}

/** An object as the server shows it: its fields plus `_r` (its path) and `_rev`. */
export type ObjectSnapshot = JsonObject & { _r: string; _rev: number };

export interface ReadItem<T = ObjectSnapshot> {
  meta: { owner?: string; created: string; updated?: string };
  body: T;
}

export interface ReadPage<T = ObjectSnapshot> {
  items: Array<ReadItem<T>>;
  tokens: { nextToken?: string; prevToken?: string };
  totalResults?: number;
}

/** A room message, as `/rooms/<id>/messages/<nr>`. */
export interface MessageItem {
  _r: string;
  _rev: 1;
  nr: number;
  time: string;
  sender: { _r: string; name: string };
  body: string;
  mentions: Json[];
  attachments: Json[];
}

export interface ErrorBody {
  code: number;
  message: string;
  errors?: Record<string, string>;
}

/** A reply: the request's tag, and `error` when it was refused. */
export interface Reply<B = JsonObject> {
  tag: number;
  evt?: "initialized" | "pinged";
  r?: string;
  rev?: number;
  body?: B;
  meta?: JsonObject;
  error?: ErrorBody;
}

export interface InitializedBody {
  "connection-handle": string;
  user: { _r: string; name: string; authType: "password" | "anonymous" | (string & {}) };
}

/** Who made a change: the path of the user (or the original's object form). */
export type OpBy = string | { authType: string; uid: string; data: JsonObject };

/** One changed key of an `updated` push. */
export interface FieldChange {
  op: "set" | "unset" | "addNumber" | "push" | "addToSet" | "insertAt" | "pull" | "removeAt";
  opValue?: Json;
}

export interface CreatedPush {
  evt: "created";
  r: string;
  rev: number;
  body: ObjectSnapshot;
  meta: { opBy: OpBy };
}
export interface UpdatedPush {
  evt: "updated";
  r: string;
  rev: number;
  body: Record<string, FieldChange>;
  meta: { opBy: OpBy };
}
export interface DeletedPush {
  evt: "deleted";
  r: string;
  rev: number;
  meta: { opBy: OpBy };
}
export interface SnapshotPush {
  evt: "snapshot";
  r: string;
  rev: number;
  body: ObjectSnapshot;
}

export type ServerFrame =
  | Reply
  | CreatedPush
  | UpdatedPush
  | DeletedPush
  | SnapshotPush
  | { evt: "token-expired" }
  | { evt: "kicked" }
  | { error: ErrorBody };
