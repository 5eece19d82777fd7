/**
 * Checks a value against a JSON Schema (2020-12) of the OpenAPI document, so
 * tests compare what the server answers with what the document promises —
 * not with the zod schemas both were made from. It covers the keywords the
 * document uses and fails loudly on any other.
 */

type Schema = { [key: string]: unknown };

const KNOWN = new Set([
  "$ref", "type", "properties", "required", "additionalProperties", "propertyNames", "items", "anyOf", "oneOf", "allOf",
  "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
  "format", "minItems", "maxItems", "description", "default", "title", "examples",
]);

const isObject = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

export function resolveRef(doc: Schema, ref: string): Schema {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
  let node: unknown = doc;
  for (const part of ref.slice(2).split("/")) node = isObject(node) ? node[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  if (!isObject(node)) throw new Error(`dangling $ref ${ref}`);
  return node;
}

/** Every way `value` breaks `schema`, as `path: complaint` lines (none: it matches). */
export function violations(doc: Schema, schema: unknown, value: unknown, path = "$"): string[] {
  if (schema === true || (isObject(schema) && Object.keys(schema).length === 0)) return [];
  if (!isObject(schema)) return [`${path}: schema is not an object`];
  const unknown = Object.keys(schema).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) throw new Error(`schema keyword(s) the checker does not know: ${unknown.join(", ")}`);
  const out: string[] = [];
  if (typeof schema.$ref === "string") out.push(...violations(doc, resolveRef(doc, schema.$ref), value, path));
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(value, t))) return [...out, `${path}: ${typeOf(value)} is not ${types.join("|")}`];
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) out.push(`${path}: not ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) out.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) out.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) out.push(`${path}: above ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum) out.push(`${path}: not above ${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === "number" && value >= schema.exclusiveMaximum) out.push(`${path}: not below ${schema.exclusiveMaximum}`);
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof schema.minLength === "number" && length < schema.minLength) out.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === "number" && length > schema.maxLength) out.push(`${path}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) out.push(`${path}: does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) out.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) out.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items !== undefined) value.forEach((item, i) => out.push(...violations(doc, schema.items, item, `${path}[${i}]`)));
  }
  if (isObject(value)) {
    const props = isObject(schema.properties) ? schema.properties : {};
    for (const name of Array.isArray(schema.required) ? (schema.required as string[]) : []) if (!(name in value)) out.push(`${path}: missing ${name}`);
    for (const [key, v] of Object.entries(value)) {
      if (key in props) out.push(...violations(doc, props[key], v, `${path}.${key}`));
      else if (schema.additionalProperties === false) out.push(`${path}: unexpected property ${key}`);
      else if (schema.additionalProperties !== undefined) out.push(...violations(doc, schema.additionalProperties, v, `${path}.${key}`));
    }
  }
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf) out.push(...violations(doc, s, value, path));
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => violations(doc, s, value, path).length === 0)) out.push(`${path}: matches none of anyOf`);
  if (Array.isArray(schema.oneOf) && schema.oneOf.filter((s) => violations(doc, s, value, path).length === 0).length !== 1) out.push(`${path}: does not match exactly one of oneOf`);
  return out;
}
