import { z } from "zod";

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** UUIDs compare lowercase: the same room whichever case a client writes. */
const uuid = z
  .string()
  .regex(UUID, { message: "must be a UUID" })
  .transform((s) => s.toLowerCase());
const key = z.string().min(1);
const time = z.number();

/** What a client may send, by `type`. Unknown fields are dropped: sender ids come from the socket, never the frame. */
export const requests = {
  ping: z.object({ time }),
  pong: z.object({ time }),
  enter: z.object({ room_id: uuid }),
  exit: z.object({ room_id: uuid }),
  message: z.object({ key, content: z.string().min(1), room_id: uuid }),
  read: z.object({ message_id: z.number().int().min(1), room_id: uuid }),
  invite: z.object({ key, user_id: uuid, room_id: uuid }),
  kick: z.object({ key, user_id: uuid, room_id: uuid, message: z.string().max(1000).nullish(), permanent: z.boolean() }),
  close: z.object({ key, room_id: uuid }),
  open: z.object({ key, room_id: uuid }),
};

export type RequestType = keyof typeof requests;
export type Request<T extends RequestType> = z.infer<(typeof requests)[T]>;

const isRequestType = (t: string): t is RequestType => Object.hasOwn(requests, t);

/** A refused parse: a malformed id is `uuid.invalid`, anything else `frame.invalid`. */
function parseRefusal(error: z.ZodError, frame: Record<string, unknown>): { code: string; message: string } {
  const issue = error.issues[0];
  const field = String(issue?.path[0] ?? "");
  const badId = (field === "room_id" || field === "user_id") && typeof frame[field] === "string";
  return { code: badId ? "uuid.invalid" : "frame.invalid", message: field ? `${field}: ${issue.message}` : (issue?.message ?? "invalid frame") };
}

/** One validated request, discriminated by `type`. */
export type AnyRequest = { [T in RequestType]: { type: T } & Request<T> }[RequestType];

/** A frame's JSON object to one validated request, or what the error frame refusing it says (`ref`: the request type, when there is one). */
export function readRequest(fields: Record<string, unknown>): { ok: true; request: AnyRequest } | { ok: false; code: string; message: string; ref: string | null } {
  const type = fields.type;
  if (typeof type !== "string") return { ok: false, code: "frame.invalid", message: "type: required", ref: null };
  if (!isRequestType(type)) return { ok: false, code: "type.unknown", message: "unknown request type", ref: type };
  const parsed = requests[type].safeParse(fields);
  if (!parsed.success) return { ok: false, ...parseRefusal(parsed.error, fields), ref: type };
  return { ok: true, request: { ...parsed.data, type } as AnyRequest };
}
