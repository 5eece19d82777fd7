import type { LoginLimiter } from "../../core/accounts/login-limiter.js";
import type { Identity } from "../../core/types.js";
import type { DialectContext } from "../types.js";
import type { FuseAccounts } from "./accounts.js";
import type { Origins } from "./http.js";
import type { Line } from "./line.js";
import type { Renderers } from "./render.js";
import type { FuseSession } from "./session.js";

/** What every part of the fuse dialect shares on this node. */
export interface Fuse {
  readonly ctx: DialectContext;
  readonly accounts: FuseAccounts;
  readonly renderers: Renderers;
  /** Failed `open`s per name and per address (the `auth.loginFailures*` limits): past them, `too many attempts`. */
  readonly logins: LoginLimiter;
  /** `fuse.allowedOrigins`: CORS credentials and the session cookie's reach. */
  readonly origins: Origins;
}

/** A transport's side of one command: who asks, and the session it is bound to. */
export interface Caller {
  /** The `name` parameter ("" when absent). */
  readonly name: string;
  /** The public address the request came from. */
  readonly addr: string;
  /** The logged-in session this transport is bound to, if any. */
  session(): FuseSession | null;
  /** `open` succeeded: bind a new session for `user` (ending this transport's earlier one). Resolves to what `open|done` is followed by. */
  login(user: Identity): Promise<() => void>;
  /** `exit` ended the bound session. */
  loggedOut(): void;
}

/** The direct answer to a command, and what follows it once it has been sent (a `here` list, held live events). */
export interface Reply {
  line: string;
  after?: () => void;
}

/** A command of a logged-in session. */
export type Command = (f: Fuse, s: FuseSession, line: Line, caller: Caller) => Promise<Reply | string>;
