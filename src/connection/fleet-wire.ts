import type { Core } from "../core/core.js";
import type { JsonObject } from "../core/json.js";
import type { CoreEvent } from "../core/types.js";
import type { Logger } from "../observability/log.js";

/** How long a node waits for another's answer (or, for long work, its receipt) before taking it for gone. */
export const ANSWER_MS = 5000;
/** How long work the home has acknowledged may take before the asker gives up on it (without taking the home for gone). */
export const WORK_MS = 30_000;

/** Answers a request (a no-op for a `tell`, which expects none). */
export type Reply = (answer: JsonObject) => void;
export type Handler = (data: JsonObject, reply: Reply) => void | Promise<void>;

/**
 * Requests between the nodes of a fleet over the broker: a request goes to the
 * home node's channel with an id and the asker's node, the answer comes back
 * on the asker's channel with the same id. One publisher's messages keep their
 * order, so a home answers one session's requests in the order it took them.
 * Each user of it (fuse's HTTP sessions, the HTTP transports' sessions) has
 * channels of its own, named by `channelOf`.
 */
export class FleetWire {
  readonly self: string;
  private seq = 0;
  private readonly waiting = new Map<string, { done: (answer: JsonObject | null) => void; timer: NodeJS.Timeout }>();
  private readonly handlers = new Map<string, Handler>();

  constructor(
    private readonly core: Core,
    private readonly log: Logger,
    /** The channel a node listens on for this wire's requests and answers. */
    private readonly channelOf: (node: string) => string,
    /** Labels this wire's log lines. */
    private readonly label: string,
  ) {
    this.self = core.broker.nodeId;
  }

  on(type: string, handler: Handler): void {
    this.handlers.set(type, handler);
  }

  /** Listens on this node's channel (a core listener: it lasts as long as the node). */
  start(): Promise<void> {
    return this.core.hub.listen(this.channelOf(this.self), (event) => this.receive(event));
  }

  /**
   * Sends a request to `node`; resolves to its answer, or null when none came
   * within `ANSWER_MS`: the node is gone. With `receipt`, the node acknowledges
   * the request as soon as it takes it, and the answer may then take up to
   * `WORK_MS` (a command waiting its turn behind a slow one); past that the
   * answer is `{ failed: true }`, since the work may or may not have been done.
   */
  ask(node: string, type: string, data: JsonObject, receipt = false): Promise<JsonObject | null> {
    const id = `${this.self}/${++this.seq}`;
    return new Promise((resolve) => {
      const waiter = { done: resolve, timer: this.expire(id, ANSWER_MS, null) };
      this.waiting.set(id, waiter);
      this.send(node, type, receipt ? { ...data, id, from: this.self, receipt: true } : { ...data, id, from: this.self });
    });
  }

  /** A message that wants no answer. */
  tell(node: string, type: string, data: JsonObject): void {
    this.send(node, type, { ...data, from: this.self });
  }

  private receive(event: CoreEvent): void {
    const { id, from } = event.data;
    if (event.type === "answer" || event.type === "receipt") {
      const waiter = typeof id === "string" ? this.waiting.get(id) : undefined;
      if (!waiter || typeof id !== "string") return; // timed out already
      clearTimeout(waiter.timer);
      if (event.type === "receipt") {
        waiter.timer = this.expire(id, WORK_MS, { failed: true });
        return;
      }
      this.waiting.delete(id);
      waiter.done(event.data);
      return;
    }
    const handler = this.handlers.get(event.type);
    if (!handler || typeof from !== "string") return;
    // Taken: from now on the asker knows this node is alive, however long the work takes.
    if (event.data.receipt === true && typeof id === "string") this.send(from, "receipt", { id });
    let answered = false;
    const reply: Reply = (answer) => {
      if (answered || typeof id !== "string") return;
      answered = true;
      this.send(from, "answer", { ...answer, id });
    };
    Promise.resolve()
      .then(() => handler(event.data, reply))
      .catch((err: unknown) => {
        this.log.error({ err, wire: this.label, type: event.type }, "fleet request failed");
        // An answer all the same: silence would make the asker take this node for gone.
        reply({ failed: true });
      });
  }

  /** Resolves the request `id` with `outcome` unless something comes within `ms`. */
  private expire(id: string, ms: number, outcome: JsonObject | null): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const waiter = this.waiting.get(id);
      if (!waiter) return;
      this.waiting.delete(id);
      waiter.done(outcome);
    }, ms);
    timer.unref();
    return timer;
  }

  private send(node: string, type: string, data: JsonObject): void {
    const event: CoreEvent = { channel: this.channelOf(node), type, time: Date.now(), sender: { id: `${this.label}-node`, name: this.self }, data };
    this.core.hub.publish(event).catch((err: unknown) => this.log.warn({ err, wire: this.label, type }, "fleet message not sent"));
  }
}
