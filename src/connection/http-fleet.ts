import type { Core } from "../core/core.js";
import type { JsonObject } from "../core/json.js";
import type { Logger } from "../observability/log.js";
import type { Ending } from "../transport/http-transport.js";
import type { HttpSessions, Outcome, SessionForwarder } from "../transport/http-sessions.js";
import type { PollResult, PollWaiter } from "../transport/poll-transport.js";
import { FleetWire, type Reply } from "./fleet-wire.js";

/** Each node listens here for requests about its SSE and long-poll sessions. */
const channelOf = (node: string) => `sys:conn-node:${node}`;

/** How long a read of the node registry is trusted, for a node it listed and for one it did not. */
const LISTED_MS = 1000;
const UNLISTED_MS = 200;

const text = (value: unknown) => (typeof value === "string" ? value : "");
const texts = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);

function endingOf(value: unknown): Ending | null {
  const e = value as { code?: unknown; reason?: unknown } | null;
  return e && typeof e.code === "number" ? { code: e.code, reason: text(e.reason) } : null;
}

const outcomeJson = (outcome: Outcome): JsonObject => (outcome === "ok" ? { ok: true } : outcome === "unknown" ? { unknown: true } : { ended: { ...outcome } });

function outcomeOf(answer: JsonObject | null): Outcome | null {
  if (answer === null) return null;
  if (answer.ok === true) return "ok";
  return endingOf(answer.ended) ?? "unknown";
}

/** A poll another node holds for one of this node's sessions: answered over the broker. */
class RemoteWaiter implements PollWaiter {
  constructor(
    private readonly reply: Reply,
    private readonly done: () => void,
  ) {}

  answer(result: PollResult): boolean {
    this.done();
    this.reply("ended" in result ? { ended: { ...result.ended } } : { frames: result.frames });
    return true;
  }
}

/**
 * The HTTP transports in a fleet without sticky sessions: a session lives on
 * the node that opened it (its id says which), and a POST, poll or goodbye
 * that the balancer sends elsewhere is carried there over the broker and
 * answered back. An SSE stream is its session, so only its POSTs travel; a
 * long-poll session's polls do too, each held on the home node.
 */
export class HttpFleet implements SessionForwarder {
  private readonly wire: FleetWire;
  private seq = 0;
  /** Polls held here for other nodes, by asking node and poll id: their client may go away first. */
  private readonly held = new Map<string, RemoteWaiter>();
  private known = new Set<string>();
  private readAt = 0;

  constructor(
    private readonly core: Core,
    log: Logger,
    private readonly sessions: HttpSessions,
  ) {
    this.wire = new FleetWire(core, log, channelOf, "http");
    this.wire.on("deliver", (data, reply) => reply(outcomeJson(sessions.deliver(text(data.sid), texts(data.frames).map((f) => Buffer.from(f, "utf8"))))));
    this.wire.on("poll", (data, reply) => this.pollHere(data, reply));
    this.wire.on("unpoll", (data) => {
      const key = `${text(data.from)}/${text(data.poll)}`;
      const waiter = this.held.get(key);
      this.held.delete(key);
      if (waiter) sessions.detachPoll(text(data.sid), waiter);
    });
    this.wire.on("hangUp", (data, reply) => reply(outcomeJson(sessions.clientClose(text(data.sid)))));
    this.wire.start().catch((err: unknown) => log.error({ err }, "HTTP session fleet channel not subscribed"));
  }

  async deliver(node: string, sid: string, frames: string[]): Promise<Outcome | null> {
    if (!(await this.registered(node))) return null;
    return outcomeOf(await this.wire.ask(node, "deliver", { sid, frames }));
  }

  async poll(node: string, sid: string, abandon: (tellHome: () => void) => void): Promise<PollResult | "unknown" | null> {
    if (!(await this.registered(node))) return null;
    const poll = String(++this.seq);
    abandon(() => this.wire.tell(node, "unpoll", { sid, poll }));
    // With a receipt: the home holds the poll up to its wait, longer than a plain answer may take.
    const answer = await this.wire.ask(node, "poll", { sid, poll }, true);
    if (answer === null) return null;
    if (answer.unknown === true) return "unknown";
    const ended = endingOf(answer.ended);
    return ended ? { ended } : { frames: texts(answer.frames) };
  }

  async hangUp(node: string, sid: string): Promise<Outcome | null> {
    if (!(await this.registered(node))) return null;
    return outcomeOf(await this.wire.ask(node, "hangUp", { sid }));
  }

  /**
   * Whether `node` is in the fleet's registry: a node that is gone (or an id
   * nobody ever had) is answered at once instead of after a wait for an
   * answer that cannot come.
   */
  private async registered(node: string): Promise<boolean> {
    const age = Date.now() - this.readAt;
    if (age < (this.known.has(node) ? LISTED_MS : UNLISTED_MS)) return this.known.has(node);
    this.readAt = Date.now();
    const nodes = await this.core.broker.nodes.list().catch(() => null);
    // The registry cannot be read: ask the node anyway, its silence will tell.
    if (nodes === null) return true;
    this.known = new Set(nodes.map((n) => n.id));
    return this.known.has(node);
  }

  private pollHere(data: JsonObject, reply: Reply): void {
    const key = `${text(data.from)}/${text(data.poll)}`;
    const waiter = new RemoteWaiter(reply, () => this.held.delete(key));
    this.held.set(key, waiter);
    if (this.sessions.attachPoll(text(data.sid), waiter) === "unknown") {
      this.held.delete(key);
      reply({ unknown: true });
    }
  }
}
