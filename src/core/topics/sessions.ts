import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Store } from "../../engine/store/types.js";
import type { Revocations } from "../accounts/revocations.js";
import type { Hub } from "../hub.js";
import type { JsonObject } from "../json.js";
import type { Identity, Renderer, Subscriber } from "../types.js";
import { topicChannels } from "./channels.js";

const NS = "topic-sessions";
/** How long a resume waits for a still-open old connection to let go (a dead node never does). */
const TAKEOVER_WAIT_MS = 2000;
const TAKEOVER_POLL_MS = 20;

const recordSchema = z.object({
  user: z.object({ id: z.string(), name: z.string(), color: z.string(), verified: z.boolean(), guest: z.boolean() }),
  credential: z.object({ revocationId: z.string(), expiresAt: z.number().nullable() }).nullable(),
  /** Per subscription (as the dialect names it): the last seq delivered, null for one without messages. */
  cursors: z.record(z.string(), z.number().nullable()),
  /** A connection holds the session right now. */
  live: z.boolean(),
  /** Bumped by every resume, so a late take-over notice cannot end the connection that sent it. */
  epoch: z.number().int(),
});

export type SessionRecord = z.infer<typeof recordSchema>;

function toJson(r: SessionRecord): JsonObject {
  return { user: { ...r.user }, credential: r.credential && { ...r.credential }, cursors: { ...r.cursors }, live: r.live, epoch: r.epoch };
}

/** Shared by every watcher: turns a take-over notice into its epoch, as text. */
const takeoverRenderer: Renderer = {
  render: (event) => (event.type === "takeover" && typeof event.data.epoch === "number" ? String(event.data.epoch) : null),
};

/**
 * Resumable sessions, recorded in the store's kv (so any node can resume
 * one) for `ttlMs` after their connection went away. A live connection
 * renews its record; a resume tells a still-open old connection to let go
 * through the broker and waits for its final cursors.
 */
export class TopicSessions {
  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly revocations: Revocations,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  async create(user: Identity, credential: SessionRecord["credential"]): Promise<{ id: string; record: SessionRecord }> {
    const id = randomBytes(18).toString("base64url");
    const record: SessionRecord = { user, credential, cursors: {}, live: true, epoch: 0 };
    await this.save(id, record);
    return { id, record };
  }

  /**
   * Writes the connection's view of the session, unless a resume (on any
   * node) has taken it over since: compare and swap on the stored record, so
   * a late checkpoint of the old connection never overwrites the new holder's.
   */
  async save(id: string, record: SessionRecord): Promise<void> {
    for (;;) {
      const raw = await this.store.kv.get(NS, id);
      const stored = recordSchema.safeParse(raw);
      if (stored.success && stored.data.epoch > record.epoch) return;
      if (await this.store.kv.compareAndSet(NS, id, raw, toJson(record), this.now() + this.ttlMs)) return;
    }
  }

  /** The last save of a connection that ends: skipped when a resume elsewhere already holds the session. */
  release(id: string, record: SessionRecord): Promise<void> {
    return this.save(id, { ...record, live: false });
  }

  /** The record, or null when unknown, expired, or its credential no longer holds. */
  async load(id: string): Promise<SessionRecord | null> {
    const parsed = recordSchema.safeParse(await this.store.kv.get(NS, id));
    if (!parsed.success) return null;
    const { credential } = parsed.data;
    if (credential?.expiresAt != null && credential.expiresAt <= this.now()) return null;
    if (credential && (await this.revocations.isRevoked(credential.revocationId))) return null;
    return parsed.data;
  }

  /**
   * Takes a session over to resume it: a connection still holding it is told
   * to let go first, then the record's epoch is bumped by compare and swap, so
   * of two resumes racing on two nodes exactly one gets each epoch. Resolves
   * to the record as taken (its new epoch), or null when it cannot be resumed.
   */
  async claim(id: string): Promise<SessionRecord | null> {
    let record = await this.load(id);
    if (record?.live) {
      await this.hub.publish({ channel: topicChannels.session(id), type: "takeover", time: this.now(), sender: { id: "system", name: "system" }, data: { epoch: record.epoch } });
      const deadline = this.now() + TAKEOVER_WAIT_MS;
      while (record?.live && this.now() < deadline) {
        await new Promise((r) => setTimeout(r, TAKEOVER_POLL_MS));
        record = await this.load(id);
      }
    }
    for (let attempt = 0; record && attempt < 10; attempt++) {
      // Compared against the stored text itself, not a re-serialised copy whose key order may differ.
      const raw = await this.store.kv.get(NS, id);
      record = raw && (await this.load(id));
      if (!raw || !record) return null;
      const taken = { ...record, live: true, epoch: record.epoch + 1 };
      if (await this.store.kv.compareAndSet(NS, id, raw, toJson(taken), this.now() + this.ttlMs)) return taken;
    }
    return null;
  }

  /** Calls `onTakeover` when a resume elsewhere claims the session this connection holds at `epoch`. */
  async watch(id: string, connId: string, epoch: number, onTakeover: () => void): Promise<() => void> {
    const channel = topicChannels.session(id);
    const sub: Subscriber = {
      connId,
      user: { id: "system", name: "system" },
      renderer: takeoverRenderer,
      deliver: (frame) => {
        if (Number(frame.text) >= epoch) onTakeover();
      },
    };
    (await this.hub.attach(channel, sub, false)).release(0);
    return () => void this.hub.detach(channel, connId);
  }
}
