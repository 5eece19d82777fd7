import type { Json, JsonObject } from "../json.js";
import { deepEqual, getAt, isObject, parsePath, type PathStep } from "./path.js";

export const OP_NAMES = ["set", "addNumber", "push", "addToSet", "insertAt", "pull", "removeAt"] as const;
export type OpName = (typeof OP_NAMES)[number];

/** One change to a document: `key` is a dotted path, `picture[0]` for an array item. */
export interface UpdateOp {
  op: OpName;
  key: string;
  value?: Json;
  opArgs?: JsonObject;
}

/** What each changed key went through, as change events carry it. */
export type Changes = Record<string, { op: string; opValue: Json }>;

export type ApplyResult = { ok: true; body: JsonObject; changes: Changes } | { ok: false; message: string };

class OpError extends Error {}

const fail = (message: string): never => {
  throw new OpError(message);
};

/** The container the last step lives in, creating missing objects on the way when `create`. */
function parentOf(root: JsonObject, path: PathStep[], create: boolean): JsonObject | Json[] {
  let node: Json = root;
  for (let i = 0; i < path.length - 1; i++) {
    const step = path[i];
    let child: Json | undefined = getAt(node, [step]);
    if (child === undefined) {
      if (!create || typeof step === "number" || !isObject(node)) return fail("path does not exist");
      child = typeof path[i + 1] === "number" ? fail("path does not exist") : {};
      node[step] = child;
    }
    node = child;
  }
  if (!isObject(node) && !Array.isArray(node)) return fail("path runs through a value that is not an object or array");
  return node;
}

function arrayItem(parent: JsonObject | Json[], last: PathStep, span: number): { list: Json[]; index: number } {
  if (typeof last !== "number" || !Array.isArray(parent)) return fail("key must end in an array index like list[0]");
  if (last >= parent.length + span) return fail("array index out of range");
  return { list: parent, index: last };
}

function assign(parent: JsonObject | Json[], last: PathStep, value: Json): void {
  if (typeof last === "number") {
    const { list, index } = arrayItem(parent, last, 0);
    list[index] = value;
  } else if (isObject(parent)) parent[last] = value;
  else fail("a key inside an array must be an index like list[0]");
}

/** The array at the path, or a new empty one set there when nothing is. */
function listAt(parent: JsonObject | Json[], last: PathStep): Json[] {
  const current = getAt(parent, [last]);
  if (current === undefined) {
    const list: Json[] = [];
    assign(parent, last, list);
    return list;
  }
  return Array.isArray(current) ? current : fail("value at key is not an array");
}

function applyOne(body: JsonObject, op: UpdateOp): void {
  const path = parsePath(op.key) ?? fail("key is not a valid path");
  const last = path[path.length - 1];
  const needsValue = op.op !== "removeAt";
  if (needsValue && op.value === undefined) fail("value is required");
  const value = op.value as Json;
  const parent = parentOf(body, path, op.op !== "insertAt" && op.op !== "removeAt" && op.op !== "pull");
  switch (op.op) {
    case "set":
      return assign(parent, last, value);
    case "addNumber": {
      const current = getAt(parent, [last]) ?? 0;
      if (typeof value !== "number" || typeof current !== "number") return fail("addNumber needs numbers");
      const sum = current + value;
      return Number.isFinite(sum) ? assign(parent, last, sum) : fail("result is not a finite number");
    }
    case "push":
      listAt(parent, last).push(value);
      return;
    case "addToSet": {
      const list = listAt(parent, last);
      if (!list.some((item) => deepEqual(item, value))) list.push(value);
      return;
    }
    case "insertAt": {
      const { list, index } = arrayItem(parent, last, 1);
      list.splice(index, 0, value);
      return;
    }
    case "pull": {
      const current = getAt(parent, [last]);
      if (current === undefined) return;
      if (!Array.isArray(current)) return fail("value at key is not an array");
      const kept = current.filter((item) => !deepEqual(item, value));
      current.length = 0;
      current.push(...kept);
      return;
    }
    case "removeAt": {
      const { list, index } = arrayItem(parent, last, 0);
      list.splice(index, 1);
      return;
    }
  }
}

/** Applies every op to a copy of `body`: all of them, or (on the first that cannot apply) none. */
export function applyOps(body: JsonObject, ops: UpdateOp[]): ApplyResult {
  const next = structuredClone(body);
  const changes: Changes = {};
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    try {
      if (!OP_NAMES.includes(op.op)) fail(`unknown op ${String(op.op)}`);
      applyOne(next, op);
    } catch (err) {
      if (err instanceof OpError) return { ok: false, message: `ops[${i}] (${String(op.op)} ${String(op.key)}): ${err.message}` };
      throw err;
    }
    changes[op.key] = { op: op.op, opValue: op.value ?? null };
  }
  return { ok: true, body: next, changes: collapse(ops, next, changes) };
}

const isWithin = (inner: PathStep[], outer: PathStep[]) => outer.length <= inner.length && outer.every((step, i) => step === inner[i]);

/**
 * A subscriber replays `changes` on its copy, one entry per key. When one
 * update touches a path twice, or a path and something inside it, one op per
 * key cannot say what happened: those become a single `set` of the final
 * value at the outermost path touched (`unset` if nothing is left there).
 */
function collapse(ops: UpdateOp[], next: JsonObject, changes: Changes): Changes {
  const paths = ops.map((op) => parsePath(op.key)!);
  const outermost = new Map<string, PathStep[]>();
  for (let i = 0; i < paths.length; i++) {
    const overlapping = paths.filter((other, j) => j !== i && (isWithin(paths[i], other) || isWithin(other, paths[i])));
    if (overlapping.length === 0) continue;
    const top = [paths[i], ...overlapping].reduce((a, b) => (b.length < a.length ? b : a));
    outermost.set(ops[i].key, top);
  }
  if (outermost.size === 0) return changes;
  const out: Changes = {};
  for (const op of ops) {
    const top = outermost.get(op.key);
    if (!top) {
      out[op.key] = changes[op.key];
      continue;
    }
    const key = ops[paths.findIndex((p) => p.length === top.length && isWithin(p, top))].key;
    const value = getAt(next, top);
    out[key] = value === undefined ? { op: "unset", opValue: null } : { op: "set", opValue: value };
  }
  return out;
}

/** The top-level keys a whole-body replace changed, as `set` (or `unset` for a removed key). */
export function diffChanges(before: JsonObject, after: JsonObject): Changes {
  const changes: Changes = {};
  for (const [key, value] of Object.entries(after)) {
    if (!Object.hasOwn(before, key) || !deepEqual(before[key], value)) changes[key] = { op: "set", opValue: value };
  }
  for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) changes[key] = { op: "unset", opValue: null };
  return changes;
}
