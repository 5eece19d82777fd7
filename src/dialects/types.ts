import type { Config } from "../config/schema.js";
import type { Core } from "../core/core.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import type { TimerWheel } from "../transport/timer-wheel.js";
import type { Route } from "../transport/routes.js";

export type { HttpRefusal, HttpRoute, Route, WsRoute } from "../transport/routes.js";

export interface DialectContext {
  readonly core: Core;
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly wheel: TimerWheel;
}

export interface Dialect {
  readonly name: string;
  readonly routes: Route[];
  /**
   * Say goodbye beyond the transport's own: every remaining WebSocket gets a
   * 1001 close after this, so only dialects with more to do (end HTTP streams,
   * save resumable state) need one.
   */
  drain?(): Promise<void>;
}

export type DialectFactory = (ctx: DialectContext) => Dialect;
