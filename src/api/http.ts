import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { Accounts } from "../core/accounts/accounts.js";
import type { AccountRecord } from "../engine/store/types.js";
import { sendJson } from "../transport/http-server.js";
import { clientAddress } from "../transport/client-address.js";

export { sendJson };

const MAX_BODY = 64 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    /** Extra response headers (`WWW-Authenticate` on a 401, `Retry-After` on a 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(reason);
  }
}

/** Every API error has the same shape: `{code: <HTTP status>, error: <machine code>, reason: <text>}`. */
export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { code: err.status, error: err.code, reason: err.reason }, err.headers);
}

/** zod's complaints as one line: `where.path: message; …`. */
export function issuesText(error: z.ZodError, where: string): string {
  return error.issues.map((i) => `${[where, ...i.path.map(String)].join(".")}: ${i.message}`).join("; ");
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, "body.too-large", `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The JSON body checked against `schema`; an empty body counts as `{}`. */
export async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const text = await readBody(req);
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError(400, "json.malformed", "the body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
    throw new HttpError(400, "request.bad", detail);
  }
  return parsed.data;
}

/** A password login for any route that takes one: the account, or the HTTP error every such route answers. */
export async function loginOrThrow(accounts: Accounts, req: IncomingMessage, name: string, password: string): Promise<AccountRecord> {
  const result = await accounts.login(name, password, clientAddress(req));
  if (result.ok) return result.account;
  if (result.code === "rate.limited") throw new HttpError(429, "rate.limited", "too many failed logins; try again later");
  throw new HttpError(401, "credentials.invalid", "wrong name or password");
}

export function bearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : null;
}
