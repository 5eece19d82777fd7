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
  /** Tell connected clients the server is going away, the way the protocol allows. */
  drain(): Promise<void>;
}

export type DialectFactory = (ctx: DialectContext) => Dialect;
