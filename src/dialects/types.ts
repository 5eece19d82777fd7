import type { Config } from "../config/schema.js";
import type { Clients } from "../connection/clients.js";
import type { Core } from "../core/core.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import type { TimerWheel } from "../transport/timer-wheel.js";
import type { Route } from "../transport/routes.js";

export type { EndpointRoute, HttpRefusal, HttpRoute, Route } from "../transport/routes.js";
export type { Transport } from "../transport/transport.js";

export interface DialectContext {
  readonly core: Core;
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly wheel: TimerWheel;
  /** Every client connection of the node: what a dialect's connections are made with (`ClientConnection`). */
  readonly clients: Clients;
}

export interface Dialect {
  readonly name: string;
  readonly routes: Route[];
  /**
   * Say goodbye beyond what every connection gets: the connection layer
   * closes each client connection with 1001 and waits for its cleanup, so
   * only dialects with more to do (end HTTP streams of their own, stop
   * chores) need one.
   */
  drain?(): Promise<void>;
}

export type DialectFactory = (ctx: DialectContext) => Dialect;
