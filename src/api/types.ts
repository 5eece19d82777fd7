import type { Config } from "../config/schema.js";
import type { Core } from "../core/core.js";
import type { Logger } from "../observability/log.js";
import type { HttpRoute } from "../transport/routes.js";

export interface ApiContext {
  readonly core: Core;
  readonly config: Config;
  readonly log: Logger;
}

export type ApiFactory = (ctx: ApiContext) => HttpRoute[];
