import type { Config } from "../../config/schema.js";
import type { AuthSession } from "../../core/auth.js";
import type { Core } from "../../core/core.js";
import type { JsonObject } from "../../core/json.js";
import type { Follows } from "./follows.js";
import type { Request } from "./schema.js";

/** What a command handler may use of the initialized socket that sent the request. */
export interface Caller {
  readonly core: Core;
  readonly config: Config["really"];
  readonly auth: AuthSession;
  readonly follows: Follows;
  /** Runs once the reply has been queued on the socket: live pushes released here cannot overtake it. */
  afterReply(fn: () => void): void;
  /** A push of the command's own making (a catch-up): sent after its reply, in order with live pushes. */
  push(text: string): void;
}

/** A reply without its tag: `r`, `rev`, `meta`, `body` as the command has them. */
export type Reply = JsonObject;

export type Handler<T> = (caller: Caller, target: T, request: Request) => Promise<Reply>;
