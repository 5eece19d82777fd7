import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { BusyError } from "../core/accounts/hash-gate.js";
import type { Logger } from "../observability/log.js";
import type { HttpRoute } from "../transport/routes.js";
import { HttpError, issuesText, readJson, sendError, sendJson } from "./http.js";
import { isClientGone } from "../transport/client-errors.js";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Who may call: anyone, a holder of the admin key (checked before anything else), or a user's token (checked by the handler). */
export type Security = "none" | "admin" | "user";

export interface ResponseDoc {
  description: string;
  /** The JSON body; none for an empty answer (204). */
  schema?: z.ZodType;
  /** A body that is not JSON (an event stream); its schema, if any, describes each event's data. */
  contentType?: string;
}

/** What a handler answers; null when it wrote the response itself (a stream). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Input<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

/**
 * One HTTP operation, declared once: the route that serves it, the checks of
 * its input and its entry in the OpenAPI document are all made from this, so
 * the document cannot drift from what the server does.
 */
export interface OperationSpec<P, Q, B> {
  /** The OpenAPI operationId. */
  id: string;
  method: Method;
  /** `/api/admin/rooms/{room}`: each `{name}` is one path segment, percent-decoded, checked by `params`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Security;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  responses: Record<number, ResponseDoc>;
  // A method (not a property) on purpose: specs of different input types then fit one `Operation` list.
  handle(input: Input<P, Q, B>): Promise<Reply | null>;
}

export type Operation = OperationSpec<unknown, unknown, unknown>;

type Empty = Record<string, never>;

/** Declares an operation; the types of its handler's input come from its schemas. */
export function op<P = Empty, Q = Empty, B = undefined>(spec: OperationSpec<P, Q, B>): Operation {
  return spec as unknown as Operation;
}

/** An HTTP route made of operations: what the OpenAPI document and its test read. */
export interface DescribedRoute extends HttpRoute {
  readonly operations: readonly Operation[];
}

export interface OperationOptions {
  /** Throws the refusal (401, 429) unless the request carries the admin key. */
  admin(req: IncomingMessage): Promise<void>;
  log: Logger;
}

const escape = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, "\\$&");

/** `/a/{x}/b` → /^\/a\/([^/]+)\/b\/?$/ and the names of its parameters; a trailing slash is the same route. */
export function templateMatcher(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      if (!part.startsWith("{")) return escape(part);
      names.push(part.slice(1, -1));
      return "([^/]+)";
    })
    .join("");
  return { regex: new RegExp(`^${source}/?$`), names };
}

function check<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, "request.bad", issuesText(parsed.error, where));
  return parsed.data;
}

function pathParams(match: RegExpExecArray, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  names.forEach((name, i) => {
    try {
      out[name] = decodeURIComponent(match[i + 1]);
    } catch {
      throw new HttpError(400, "request.bad", `${name}: not valid percent-encoding`);
    }
  });
  return out;
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status, reply.headers ?? {}).end();
    return;
  }
  sendJson(res, reply.status, reply.body, reply.headers);
}

/** One route per path template, dispatching by method, with the uniform error answer of every API route. */
export function routesOf(operations: readonly Operation[], opts: OperationOptions): DescribedRoute[] {
  const byPath = new Map<string, Operation[]>();
  for (const operation of operations) {
    const list = byPath.get(operation.path) ?? [];
    if (list.some((o) => o.method === operation.method)) throw new Error(`${operation.method} ${operation.path} is declared twice`);
    byPath.set(operation.path, [...list, operation]);
  }
  return [...byPath].map(([template, ops]) => {
    const { regex, names } = templateMatcher(template);
    const allowed = ops.map((o) => o.method).join(" or ");
    return {
      kind: "http",
      operations: ops,
      match: (path) => regex.test(path),
      async handle(req, res, url) {
        const operation = ops.find((o) => o.method === req.method);
        try {
          if (!operation) {
            res.setHeader("allow", ops.map((o) => o.method).join(", "));
            throw new HttpError(405, "method.not-allowed", `use ${allowed}`);
          }
          if (operation.security === "admin") await opts.admin(req);
          const raw = pathParams(regex.exec(url.pathname)!, names);
          const params = operation.params ? check(operation.params, raw, "path") : raw;
          const query = operation.query ? check(operation.query, Object.fromEntries(url.searchParams), "query") : {};
          const body = operation.body ? await readJson(req, operation.body) : undefined;
          const reply = await operation.handle({ params, query, body, req, res, url });
          if (reply) send(res, reply);
        } catch (err) {
          if (res.headersSent) {
            // A stream that failed half-way: nothing more can be said on it.
            opts.log.warn({ err, operation: operation?.id }, "api stream failed");
            res.destroy();
            return;
          }
          if (err instanceof HttpError) return sendError(res, err);
          if (err instanceof BusyError) return sendError(res, new HttpError(503, "server.busy", "too many password checks at once; try again shortly"));
          // A client that went away mid-request (an abandoned upload) is no server error.
          if (isClientGone(err)) {
            opts.log.info({ operation: operation?.id }, "api client went away");
            res.destroy();
            return;
          }
          // Not the URL: some carry credentials (/api/sessions/<key>).
          opts.log.error({ err, operation: operation?.id }, "api handler failed");
          sendError(res, new HttpError(500, "server.error", "internal error"));
        }
      },
    };
  });
}
