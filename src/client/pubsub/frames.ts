// The pubsub protocol's frames (docs/dialects/pubsub.md), as types.

import type { Json } from "../common/json.js";

export interface PubsubUser {
  id: string;
  name: string;
}

export type RequestId = string | number;

export interface Auth {
  /** `switchboard` (this server's tokens), `anonymous`, or a configured external provider. */
  provider: "switchboard" | "anonymous" | (string & {});
  /** The token (not needed for `anonymous`). */
  access_token?: string;
}

export type ClientFrame =
  | { op: "connect"; type: "request"; id: RequestId; auth: Auth }
  | { op: "resume"; type: "request"; id: RequestId; session: string; received?: Record<string, string> }
  | { op: "sub" | "unsub"; type: "request"; id: RequestId; topics: string[] }
  | { op: "pub"; type: "request"; id: RequestId; topics: string[]; data: Json };

export interface ConnectSuccess {
  op: "connect";
  type: "success";
  id: RequestId;
  session: string;
  user: PubsubUser;
}

/** `members` (one list for all the presence topics asked) and, for several, `presence` per topic. */
export interface MembersFields {
  members?: PubsubUser[];
  presence?: Record<string, PubsubUser[]>;
}

export interface ResumeSuccess extends MembersFields {
  op: "resume";
  type: "success";
  id: RequestId;
  session: string;
  user: PubsubUser;
  topics: string[];
}

export interface SubSuccess extends MembersFields {
  op: "sub";
  type: "success";
  id: RequestId;
  topics: string[];
  user: PubsubUser;
}

export interface PlainSuccess {
  op: "unsub" | "pub";
  type: "success";
  id: RequestId;
}

export interface ErrorFrame {
  op: string | null;
  type: "error";
  id: RequestId | null;
  code: 400 | 401 | 403 | 404 | 413 | 429 | 500 | 503 | number;
  message: string;
  /** For 403: the refused topics. */
  topics?: string[];
}

export interface MesgPush {
  op: "mesg";
  type: "push";
  /** `<seq>.<tag>`: the topic's sequence number, unique and the same on every replay. */
  id: string;
  topics: [string];
  data: Json;
  sender: PubsubUser;
}

export interface PresPush {
  op: "pres";
  type: "join" | "leave";
  id: string | null;
  /** The topic (not its `/presence`). */
  topics: [string];
  sender: PubsubUser;
}

export type ServerFrame = ConnectSuccess | ResumeSuccess | SubSuccess | PlainSuccess | ErrorFrame | MesgPush | PresPush;
