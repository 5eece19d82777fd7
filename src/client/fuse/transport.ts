// What the fuse client needs of a transport (WebSocket or HTTP push/pull):
// carry one command line and bring back its reply, hand over broadcast lines,
// and on every new session let the client log in.

import type { ConnectionState, StateChange } from "../common/connection.js";
import type { SwitchboardError } from "../common/errors.js";

export interface TransportHooks {
  /** A broadcast line (anything that is not a reply). */
  line(line: string): void;
  state(change: StateChange): void;
  /** Logs in on a new session: `send` carries one line and resolves with its reply. */
  login(send: (line: string) => Promise<string>, reconnect: boolean): Promise<void>;
  /** The broadcast stream broke and was opened again in the same session: lines in flight on it were lost. */
  interrupted(): void;
  /** A session ended for good (another login took it over…); the client is closed. */
  closed(err: SwitchboardError): void;
}

export interface FuseTransport {
  readonly state: ConnectionState;
  /** Resolves once logged in; transient failures are retried meanwhile. */
  start(): Promise<void>;
  /** Sends one line; resolves with its reply line. */
  command(line: string, timeoutMs: number): Promise<string>;
  reconnectNow(): void;
  close(): void;
}
