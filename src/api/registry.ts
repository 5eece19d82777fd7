import { adminRoutes } from "./admin-routes.js";
import { authRoutes } from "./auth-routes.js";
import { sessionRoutes } from "./sessions-routes.js";
import type { ApiFactory } from "./types.js";
import { userRoutes } from "./users-routes.js";

/** The HTTP API beside the dialects: accounts, tokens, session keys, and the fleet's admin routes. */
export const apis: ApiFactory[] = [authRoutes, userRoutes, sessionRoutes, adminRoutes];
