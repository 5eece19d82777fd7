import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config/schema.js";
import type { Core } from "../core/core.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import type { TimerWheel } from "../transport/timer-wheel.js";
import type { WsConnection } from "../transport/ws-connection.js";

export interface DialectContext {
  readonly core: Core;
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly wheel: TimerWheel;
}

export interface HttpRefusal {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface WsRoute {
  kind: "ws";
  match(path: string): boolean;
  /** A refusal answers the upgrade request with plain HTTP instead of a WebSocket. */
  refuse?(req: IncomingMessage, url: URL): HttpRefusal | null | Promise<HttpRefusal | null>;
  accept(conn: WsConnection, req: IncomingMessage, url: URL): void;
}

export interface HttpRoute {
  kind: "http";
  match(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

export type Route = WsRoute | HttpRoute;

export interface Dialect {
  readonly name: string;
  readonly routes: Route[];
  /** Tell connected clients the server is going away, the way the protocol allows. */
  drain(): Promise<void>;
}

export type DialectFactory = (ctx: DialectContext) => Dialect;
