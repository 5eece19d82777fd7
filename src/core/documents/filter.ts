import type { Json, JsonObject } from "../json.js";
import { getAt, parsePath, type PathStep } from "./path.js";

export type Comparator = "=" | "!=" | ">" | ">=" | "<" | "<=";
type Scalar = string | number | boolean | null;

export interface Comparison {
  field: PathStep[];
  op: Comparator;
  value: Scalar;
}

/** A parsed filter: every comparison must hold. Values come only from `$name` parameters, never from the text. */
export interface Filter {
  all: Comparison[];
}

export type FilterResult = { ok: true; filter: Filter } | { ok: false; message: string };

type Token = { kind: "field" | "op" | "param" | "and"; text: string; at: number };

const MAX_TEXT = 1000;
const MAX_TERMS = 20;
// Sticky patterns tried in order at each position; anything else is an error, not a guess.
const LEXEMES: Array<[Token["kind"], RegExp]> = [
  ["op", />=|<=|!=|=|>|</y],
  ["param", /\$[A-Za-z_][A-Za-z0-9_]*/y],
  ["field", /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d{1,6}\])*/y],
];

function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    if (/\s/.test(text[at])) {
      at++;
      continue;
    }
    const found = LEXEMES.find(([, re]) => {
      re.lastIndex = at;
      return re.test(text);
    });
    if (!found) return `unexpected ${JSON.stringify(text[at])} at ${at}`;
    const [kind, re] = found;
    const lexeme = text.slice(at, re.lastIndex);
    tokens.push({ kind: kind === "field" && lexeme.toLowerCase() === "and" ? "and" : kind, text: lexeme, at });
    at = re.lastIndex;
  }
  return tokens;
}

const isScalar = (v: unknown): v is Scalar => v === null || ["string", "number", "boolean"].includes(typeof v);

/**
 * `name = $name and age > $age`: fields, the six comparators, `and`, and
 * `$parameters` looked up in `values`. Literals, `or`, parentheses, quotes,
 * `;` and anything else are refused with a message naming where.
 */
export function parseFilter(text: string, values: JsonObject = {}): FilterResult {
  if (text.length > MAX_TEXT) return { ok: false, message: `filter longer than ${MAX_TEXT} characters` };
  const tokens = tokenize(text);
  if (typeof tokens === "string") return { ok: false, message: tokens };
  const all: Comparison[] = [];
  let i = 0;
  const expect = (kind: Token["kind"], what: string): Token | string => {
    const token = tokens[i++];
    if (!token) return `expected ${what} at the end`;
    return token.kind === kind ? token : `expected ${what} at ${token.at}, found ${JSON.stringify(token.text)}`;
  };
  for (;;) {
    const field = expect("field", "a field");
    if (typeof field === "string") return { ok: false, message: field };
    const op = expect("op", "a comparison operator");
    if (typeof op === "string") return { ok: false, message: op };
    const param = expect("param", "a $parameter");
    if (typeof param === "string") return { ok: false, message: param };
    const name = param.text.slice(1);
    let value = Object.hasOwn(values, name) ? values[name] : undefined;
    // `_r` is an object's path; the original protocol writes paths with and without a trailing slash.
    if (field.text === "_r" && typeof value === "string" && value.length > 1 && value.endsWith("/")) value = value.slice(0, -1);
    if (!isScalar(value)) return { ok: false, message: `${param.text} needs a string, number, boolean or null in values` };
    const path = parsePath(field.text);
    if (!path) return { ok: false, message: `${field.text} is not a valid field` };
    all.push({ field: path, op: op.text as Comparator, value });
    if (all.length > MAX_TERMS) return { ok: false, message: `more than ${MAX_TERMS} comparisons` };
    if (i === tokens.length) return { ok: true, filter: { all } };
    const and = expect("and", "and");
    if (typeof and === "string") return { ok: false, message: and };
  }
}

function holds(c: Comparison, actual: Json | undefined): boolean {
  const sameType = actual !== undefined && (actual === null ? c.value === null : typeof actual === typeof c.value && c.value !== null);
  if (c.op === "=") return sameType && actual === c.value;
  if (c.op === "!=") return !(sameType && actual === c.value);
  // Ordering compares numbers with numbers and strings with strings only; anything else does not match.
  if (!sameType || (typeof actual !== "number" && typeof actual !== "string")) return false;
  const a = actual as number | string;
  const b = c.value as number | string;
  switch (c.op) {
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
  }
}

export function matches(filter: Filter, body: JsonObject): boolean {
  return filter.all.every((c) => holds(c, getAt(body, c.field)));
}

/** A document's path, as `_r` names it: `/<collection>/<id>`. */
export const docPath = (collection: string, id: string) => `/${collection}/${id}`;

/** What a filter sees of a document: its snapshot, the body with `_r` (its path) and `_rev` (which win over body fields of those names). */
export function matchesDoc(filter: Filter, doc: { collection: string; id: string; rev: number; body: JsonObject }): boolean {
  return matches(filter, { ...doc.body, _r: docPath(doc.collection, doc.id), _rev: doc.rev });
}
