import { z } from "zod";
import type { JsonObject } from "../../core/json.js";
import { refuse } from "./errors.js";

/** Where a page ends: the key to go on from, or none when nothing follows. */
export interface Fetched<T, K> {
  items: T[];
  next?: K;
}

/** Reads up to `limit` items strictly after `after` (from the start when undefined) in one direction. */
export type Fetch<T, K> = (after: K | undefined, ascending: boolean, limit: number) => Promise<Fetched<T, K>>;

export interface Page<T> {
  items: T[];
  nextToken?: string;
  prevToken?: string;
}

const tokenSchema = z.strictObject({
  /** The key the page starts after. */
  k: z.union([z.number().int().min(0), z.string().max(256)]),
  /** The order items are shown in. */
  a: z.boolean(),
  /** Whether this token walks back (towards the start of that order). */
  b: z.boolean(),
});
type Token = z.infer<typeof tokenSchema>;

const encode = (t: Token) => Buffer.from(JSON.stringify(t)).toString("base64url");

/** Items stepped over per read while skipping. */
const SKIP_BATCH = 200;

/** The request's paginationToken, which must carry a key this source understands; a 400 otherwise. */
export function tokenOf(text: string | undefined, validKey: (k: number | string) => boolean): Token | null {
  if (text === undefined) return null;
  const token = readToken(text);
  return token && validKey(token.k) ? token : refuse(400, "paginationToken.invalid");
}

/** The token's content, or null when it is not one of ours. */
function readToken(text: string): Token | null {
  try {
    const parsed = tokenSchema.safeParse(JSON.parse(Buffer.from(text, "base64url").toString("utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Where a page starts after stepping over `skip` items from `after`, in the
 * order `ascending` (an `after` of undefined is the very start), or null when
 * nothing is left to show.
 */
async function skipped<T, K>(fetch: Fetch<T, K>, after: K | undefined, ascending: boolean, skip: number): Promise<{ after: K | undefined } | null> {
  for (let left = skip; left > 0; ) {
    const got = await fetch(after, ascending, Math.min(left, SKIP_BATCH));
    left -= got.items.length;
    // Nothing follows what was stepped over: the page is empty.
    if (got.next === undefined) return null;
    after = got.next;
  }
  return { after };
}

/**
 * Cursor paging in both directions over any ordered source. `nextToken`
 * continues in the shown order and is absent on the last page; `prevToken`
 * walks back and is absent on the first. A token carries its own order, so it
 * wins over `ascending`. `skip` (the original protocol's) steps over that many
 * items first, in the order the page is read.
 */
export async function page<T, K extends number | string>(
  fetch: Fetch<T, K>,
  keyOf: (item: T) => K,
  opts: { limit: number; ascending: boolean; token: Token | null; skip?: number },
): Promise<Page<T>> {
  const shown = opts.token ? opts.token.a : opts.ascending;
  const back = opts.token?.b ?? false;
  const start = await skipped(fetch, opts.token?.k as K | undefined, back ? !shown : shown, opts.skip ?? 0);
  if (!start) return { items: [] };
  const after = start.after;
  const got = await fetch(after, back ? !shown : shown, opts.limit);
  const items = back ? [...got.items].reverse() : got.items;
  const at = (k: K, b: boolean) => encode({ k, a: shown, b });
  const first = items.length > 0 ? keyOf(items[0]) : undefined;
  const last = items.length > 0 ? keyOf(items[items.length - 1]) : undefined;
  const out: Page<T> = { items };
  if (back) {
    if (got.next !== undefined) out.prevToken = at(got.next, true);
    if (last !== undefined) out.nextToken = at(last, false);
  } else {
    if (got.next !== undefined) out.nextToken = at(got.next, false);
    if (after !== undefined && first !== undefined) out.prevToken = at(first, true);
  }
  return out;
}

/** The `tokens` object of a read reply: only the tokens that lead somewhere. */
export function tokens(got: Page<unknown>): JsonObject {
  const out: JsonObject = {};
  if (got.nextToken) out.nextToken = got.nextToken;
  if (got.prevToken) out.prevToken = got.prevToken;
  return out;
}
