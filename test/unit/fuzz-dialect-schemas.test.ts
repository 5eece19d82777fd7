// Property-based fuzzing of the validators each dialect applies after the
// codec (src/dialects/*/schema.ts, frames.ts, resource.ts, topic-names.ts):
// instalk's per-operation data, identify and rename; really's `r` grammar and
// command bodies; pubsub's requests and topic names; relay's requests. Pure
// functions, called directly: whatever the input, nothing but the
// dialect's own refusal is thrown, and what is accepted has the shape the
// handlers rely on. SWITCHBOARD_TEST_FUZZ_RUNS raises the count (npm run soak).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { bodyFromTxt, dataSchemas, identifySchema, issuesToErrors, renameSchema } from "../../src/dialects/instalk/schema.js";
import { connectRequest, envelope, reason, resumeRequest, topicRequests } from "../../src/dialects/pubsub/frames.js";
import { topicRef } from "../../src/dialects/pubsub/topic-names.js";
import { ReallyError } from "../../src/dialects/really/errors.js";
import { parseR } from "../../src/dialects/really/resource.js";
import { getOptions, initializeSchema, messageBody, parseOr400, readOptions, roomBody, subscribeBody, unsubscribeBody, updateBody } from "../../src/dialects/really/schema.js";
import { readRequest } from "../../src/dialects/relay/schema.js";

const RUNS = Number(process.env.SWITCHBOARD_TEST_FUZZ_RUNS ?? 2000);
type Frame = { [key: string]: any };

const json = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 40 }), fc.string({ unit: "binary", maxLength: 300 }));
/** An object with some of `keys`, each a value of the right kind or anything at all. */
const objectWith = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof(fc.record(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fc.oneof(v, json)])), { requiredKeys: [] }), json);

describe("fuzz: instalk's data, identify and rename validators", () => {
  it("each operation's data: accepted with the handler's types, or zod issues as {path: message}", () => {
    const schemas = dataSchemas(4000);
    const data = objectWith({ body: text, txt: text, mentions: fc.array(json, { maxLength: 3 }), attachments: fc.array(json, { maxLength: 3 }), "last-msg-nr": fc.integer(), from: fc.double(), before: fc.nat(), topic: text });
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(schemas) as Array<keyof typeof schemas>)), data, (op, value) => {
        const parsed = schemas[op].safeParse(bodyFromTxt(value));
        if (!parsed.success) {
          for (const [path, message] of Object.entries(issuesToErrors(parsed.error, "data"))) {
            assert.match(path, /^data(\.|$)/);
            assert.equal(typeof message, "string");
          }
          return;
        }
        const out = parsed.data as Frame;
        if (op === "msg") {
          assert.ok(typeof out.body === "string" && [...out.body].length >= 1 && [...out.body].length <= 4000);
          assert.ok(Array.isArray(out.mentions) && Array.isArray(out.attachments));
        }
        for (const key of ["last-msg-nr", "from", "before"]) if (key in out) assert.ok(Number.isSafeInteger(out[key]) && out[key] >= 0);
      }),
      { numRuns: RUNS },
    );
  });

  it("identify and rename: strings where the session reads strings", () => {
    const frame = objectWith({ identity: text, mail: fc.option(text), token: fc.option(text), name: text, color: fc.option(text) });
    fc.assert(
      fc.property(frame, (value) => {
        const id = identifySchema.safeParse(value);
        if (id.success) assert.equal(typeof id.data.identity, "string");
        const rename = renameSchema.safeParse(value);
        if (rename.success) assert.equal(typeof rename.data.name, "string");
      }),
      { numRuns: RUNS },
    );
  });
});

describe("fuzz: really's resource paths and command bodies", () => {
  const segment = fc.constantFrom("rooms", "messages", "users", "docs", "*", "1", "0", "a", "room-1", "", "..", "x".repeat(70));
  const rText = fc.oneof(text, fc.array(segment, { maxLength: 10 }).map((s) => `/${s.join("/")}`), fc.array(segment, { maxLength: 10 }).map((s) => `/${s.join("/")}/`));

  it("parseR: null, or a target of a known kind with the ids the grammar allows", () => {
    fc.assert(
      fc.property(rText, fc.boolean(), (r, wildcard) => {
        const target = parseR(r, wildcard);
        if (target === null) return;
        assert.ok(["rooms", "room", "messages", "message", "docs", "doc", "nowhere"].includes(target.kind), JSON.stringify(target));
        if (target.kind === "message") assert.ok(Number.isSafeInteger(target.nr) && target.nr >= 1);
        if ("room" in target) assert.match(target.room, /^[A-Za-z0-9_.-]{1,64}$/);
      }),
      { numRuns: RUNS },
    );
  });

  it("parseOr400 over every command body: the value, or a 400 request.invalid ReallyError and nothing else", () => {
    const schemas = [getOptions, readOptions, messageBody(4000), roomBody, updateBody, subscribeBody, unsubscribeBody, initializeSchema];
    const body = objectWith({
      limit: fc.integer(), ascending: fc.boolean(), paginationToken: text, query: objectWith({ filter: text, values: json }), subscribe: fc.boolean(), skip: fc.integer(),
      body: text, name: text, topic: text, ops: fc.array(objectWith({ op: fc.constantFrom("set", "push", "x"), key: text, value: json }), { maxLength: 3 }),
      subscriptions: fc.array(fc.oneof(rText, objectWith({ r: rText, rev: fc.integer() })), { maxLength: 3 }), accessToken: text, fields: fc.array(text, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.constantFrom(...schemas.keys()), fc.option(body, { nil: undefined }), (which, value) => {
        try {
          parseOr400(schemas[which] as never, value, "body");
        } catch (err) {
          assert.ok(err instanceof ReallyError, `threw ${String(err)}`);
          assert.equal(err.code, 400);
          assert.equal(err.message, "request.invalid");
          for (const message of Object.values(err.errors ?? {})) assert.equal(typeof message, "string");
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("fuzz: pubsub's requests and topic names", () => {
  const topic = fc.oneof(text, fc.array(fc.constantFrom("a", "news", "me", "presence", "*", "**", "{user}", "", "x.y"), { maxLength: 5 }).map((s) => s.join("/")));

  it("envelope, connect, resume, sub and pub: accepted in shape, or a short reason", () => {
    const limits = topicRequests(32);
    const frame = objectWith({ op: text, type: fc.constantFrom("request", "push"), id: fc.oneof(text, fc.integer()), auth: objectWith({ provider: text, access_token: text }), session: text, received: fc.dictionary(text, text, { maxKeys: 3 }), topics: fc.array(topic, { maxLength: 4 }), data: json });
    const schemas = [envelope, connectRequest, resumeRequest, limits.topics, limits.pub];
    fc.assert(
      fc.property(fc.constantFrom(...schemas.keys()), frame, (which, value) => {
        const parsed = (schemas[which] as typeof envelope).safeParse(value);
        if (!parsed.success) return void assert.ok(reason(parsed.error).length > 0);
        const out = parsed.data as Frame;
        if ("topics" in out) for (const t of out.topics as string[]) assert.match(t, /^[A-Za-z0-9._:@~+-]+(\/[A-Za-z0-9._:@~+-]+)*$/);
      }),
      { numRuns: RUNS },
    );
  });

  it("topicRef: a kind and the topic underneath, for any name", () => {
    fc.assert(
      fc.property(topic, fc.string({ minLength: 1, maxLength: 12 }), (wire, user) => {
        const ref = topicRef(wire, user);
        assert.equal(ref.wire, wire);
        assert.ok(["plain", "me", "presence"].includes(ref.kind));
        if (ref.kind === "me") assert.ok(ref.canonical.endsWith(`/${user}`));
        if (ref.kind === "plain") assert.equal(ref.canonical, wire);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("fuzz: relay's requests", () => {
  it("readRequest: a request of a known type, or a machine code, a message and the type it answers", () => {
    const id = fc.oneof(fc.uuid(), text);
    const frame = objectWith({ type: fc.constantFrom("ping", "pong", "enter", "exit", "message", "read", "invite", "kick", "close", "open", "toString", "__proto__"), room_id: id, user_id: id, key: text, content: text, time: fc.double(), message_id: fc.integer(), permanent: fc.boolean(), message: fc.option(text) });
    fc.assert(
      fc.property(frame, (value) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return;
        const read = readRequest(value as Record<string, unknown>);
        if (read.ok) return void assert.equal(typeof read.request.type, "string");
        assert.match(read.code, /^[a-z]+(\.[a-z-]+)+$/);
        assert.equal(typeof read.message, "string");
        assert.ok(read.ref === null || typeof read.ref === "string");
      }),
      { numRuns: RUNS },
    );
  });
});
