import { z } from "zod";
import { AdminGuard } from "./admin-guard.js";
import { adminRoomOperations } from "./admin-rooms.js";
import { clusterOperations } from "./admin-routes.js";
import { adminStatsOperations, VERSION } from "./admin-stats.js";
import { adminStreamOperations } from "./admin-stream.js";
import { adminTopicOperations } from "./admin-topics.js";
import { adminUserOperations } from "./admin-users.js";
import { authOperations } from "./auth-routes.js";
import { sendJson } from "./http.js";
import { openApiDocument } from "./openapi.js";
import { op, routesOf, type DescribedRoute, type Operation, type Reply } from "./operations.js";
import { sessionOperations } from "./sessions-routes.js";
import { staticRoutes } from "./static-routes.js";
import type { ApiContext, ApiFactory } from "./types.js";
import { userOperations } from "./users-routes.js";

/** Every operation of the HTTP API, in the order the document lists them. */
const operationSets: Array<(ctx: ApiContext) => Operation[]> = [
  authOperations,
  userOperations,
  sessionOperations,
  clusterOperations,
  adminStatsOperations,
  adminRoomOperations,
  adminTopicOperations,
  adminUserOperations,
  adminStreamOperations,
];

/** The operations' routes, and the document that describes them (itself included), made on first request. */
function operationRoutes(ctx: ApiContext): DescribedRoute[] {
  let document: Record<string, unknown> | null = null;
  const openapi: Operation = op({
    id: "openApi",
    method: "GET",
    path: "/api/openapi.json",
    summary: "This document",
    tags: ["meta"],
    security: "none",
    responses: { 200: { description: "the OpenAPI 3.1 document of every route under /api and /auth", schema: z.record(z.string(), z.unknown()) } },
    async handle(): Promise<Reply> {
      return { status: 200, body: (document ??= openApiDocument(operations, VERSION)) };
    },
  });
  const operations: Operation[] = [...operationSets.flatMap((make) => make(ctx)), openapi];
  const guard = new AdminGuard(ctx.core.broker.counters, ctx.config);
  return routesOf(operations, { admin: (req) => guard.check(req), log: ctx.log });
}

/** Anything else under /api is an API 404 (in the API's error shape), not a web page. */
function unknownApiRoute(): DescribedRoute[] {
  return [
    {
      kind: "http",
      operations: [],
      match: (p) => p === "/api" || p.startsWith("/api/"),
      handle: (_req, res) => sendJson(res, 404, { code: 404, error: "route.unknown", reason: "no such API route; see /api/openapi.json" }),
    },
  ];
}

/**
 * The HTTP routes beside the dialects: accounts, tokens, session keys, the
 * operator's API, and the web apps the server serves. Tried in this order,
 * before any dialect's route.
 */
export const apis: ApiFactory[] = [operationRoutes, unknownApiRoute, staticRoutes];
