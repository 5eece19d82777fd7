import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { Operation, ResponseDoc } from "./operations.js";
import { errorBody } from "./schemas.js";

type Schema = { [key: string]: unknown };

const isSchema = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);

/** Replaces every `$ref: "#/$defs/x"` with the component it was hoisted to. */
function rewriteRefs(value: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, names));
  if (!isSchema(value)) return value;
  const out: Schema = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "$ref" && typeof v === "string" && v.startsWith("#/$defs/")) {
      const name = names.get(v.slice("#/$defs/".length));
      if (!name) throw new Error(`unresolved schema reference ${v}`);
      out[key] = `#/components/schemas/${name}`;
    } else out[key] = rewriteRefs(v, names);
  }
  return out;
}

/**
 * JSON Schemas of zod schemas, with their shared parts in `components.schemas`
 * (a `$ref` to `#/$defs/…` inside an operation would point into the document's
 * root, so every definition is hoisted and the references rewritten).
 */
class Components {
  readonly schemas: Record<string, Schema> = {};
  private anonymous = 0;

  /** `io`: a request's schema describes what is sent (input), a response's what is answered (output). */
  of(schema: z.ZodType, io: "input" | "output"): Schema {
    const raw = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as Schema;
    delete raw.$schema;
    const defs = isSchema(raw.$defs) ? raw.$defs : {};
    delete raw.$defs;
    const names = new Map<string, string>();
    for (const name of Object.keys(defs)) names.set(name, name.startsWith("__") ? `Schema${++this.anonymous}` : name);
    for (const [name, def] of Object.entries(defs)) {
      let target = names.get(name)!;
      const body = rewriteRefs(def, names) as Schema;
      const existing = this.schemas[target];
      if (existing && !isDeepStrictEqual(existing, body)) {
        // The same named schema reads differently as a request (defaults, extra keys allowed): keep both.
        target = `${target}${io === "input" ? "Input" : "Output"}`;
        names.set(name, target);
      }
      this.schemas[target] = body;
    }
    return rewriteRefs(raw, names) as Schema;
  }
}

const pathNames = (template: string) => [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);

function parameters(components: Components, operation: Operation): Schema[] {
  const out: Schema[] = [];
  const add = (where: "path" | "query", schema: z.ZodType | undefined) => {
    if (!schema) return;
    const json = components.of(schema, "input");
    const props = isSchema(json.properties) ? json.properties : {};
    const required = Array.isArray(json.required) ? json.required : [];
    for (const [name, prop] of Object.entries(props)) {
      const description = isSchema(prop) && typeof prop.description === "string" ? prop.description : undefined;
      out.push({ name, in: where, required: where === "path" || required.includes(name), ...(description ? { description } : {}), schema: prop });
    }
  };
  add("path", operation.params);
  if (!operation.params) for (const name of pathNames(operation.path)) out.push({ name, in: "path", required: true, schema: { type: "string" } });
  add("query", operation.query);
  return out;
}

const ERROR_DOCS: Record<number, string> = {
  400: "the request is malformed: the reason names what",
  401: "no admin key, or a wrong one",
  413: "the body is over 64 KiB",
  429: "too many wrong admin keys from this address",
};

function responses(components: Components, operation: Operation): Schema {
  const docs: Record<number, ResponseDoc> = { ...operation.responses };
  const implied: number[] = [];
  if (operation.params || operation.query || operation.body) implied.push(400);
  if (operation.body) implied.push(413);
  if (operation.security === "admin") implied.push(401, 429);
  for (const status of implied) docs[status] ??= { description: ERROR_DOCS[status], schema: errorBody };
  const out: Schema = {};
  for (const [status, doc] of Object.entries(docs)) {
    const type = doc.contentType ?? "application/json";
    out[status] = { description: doc.description, ...(doc.schema ? { content: { [type]: { schema: components.of(doc.schema, "output") } } } : doc.contentType ? { content: { [type]: {} } } : {}) };
  }
  out.default = { description: "any other error (500, 503)", content: { "application/json": { schema: components.of(errorBody, "output") } } };
  return out;
}

function requestBody(components: Components, schema: z.ZodType): Schema {
  // An empty body counts as `{}`: it is optional exactly when `{}` is accepted.
  const required = !schema.safeParse({}).success;
  return { required, content: { "application/json": { schema: components.of(schema, "input") } } };
}

const SECURITY = { none: [], admin: [{ adminKey: [] }], user: [{ userToken: [] }] };

/** The OpenAPI 3.1 document of `operations`, made from the zod schemas that check their requests. */
export function openApiDocument(operations: readonly Operation[], version: string): Schema {
  const components = new Components();
  const paths: Record<string, Schema> = {};
  const tags = new Set<string>();
  for (const operation of operations) {
    for (const tag of operation.tags) tags.add(tag);
    const entry: Schema = {
      operationId: operation.id,
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      tags: operation.tags,
      security: SECURITY[operation.security],
    };
    const params = parameters(components, operation);
    if (params.length > 0) entry.parameters = params;
    if (operation.body) entry.requestBody = requestBody(components, operation.body);
    entry.responses = responses(components, operation);
    paths[operation.path] = { ...paths[operation.path], [operation.method.toLowerCase()]: entry };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Switchboard HTTP API",
      version,
      description: "Accounts, tokens and session keys for clients; the operator's API behind the admin key (`Authorization: Bearer <admin key>`).",
    },
    servers: [{ url: "/" }],
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        adminKey: { type: "http", scheme: "bearer", description: "the admin key: `auth.adminKey`, or the generated `<data>/admin.key`" },
        userToken: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "a user's access token from /auth/login or /auth/anonymous" },
      },
    },
  };
}
