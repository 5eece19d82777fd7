// The pubsub client: connect with a provider, subscribe and publish as
// promises, follow presence, and after a lost connection `resume` the
// session with `received` (the last message it processed per topic), so the
// server replays exactly what the app has not seen. When the session cannot
// be resumed the app is told (`session-lost`) and a new one is made.

import { Connection, type ConnectionOptions, type Link, type LostInfo, type StateChange } from "../common/connection.js";
import { closedError, SwitchboardError } from "../common/errors.js";
import { Emitter } from "../common/events.js";
import { parseObject, type Json } from "../common/json.js";
import { Pending, rejectInFlight, request, requestOn } from "../common/requests.js";
import { addressOf, socketUrl, type ServerAddress } from "../common/urls.js";
import type { Auth, ClientFrame, ErrorFrame, MembersFields, MesgPush, PresPush, PubsubUser, ResumeSuccess, SubSuccess } from "./frames.js";

export interface PubsubOptions extends ConnectionOptions {
  /** The server: `localhost:4040`, `http://host:4040`, or a whole `ws://host:4040/pubsub`; or a function asked before every attempt. */
  url: ServerAddress;
  /** How to connect: a provider and token, or a function asked for them before each new session. */
  auth: Auth | (() => Auth | Promise<Auth>);
}

export interface PubsubEvents {
  state: StateChange;
  /** A session began (`resumed: false`) or was resumed on a new connection. */
  session: { session: string; user: PubsubUser; resumed: boolean };
  /** A message on a subscribed topic (named as subscribed, `P/me` included); once each, in order per topic. */
  message: { topic: string; id: string; data: Json; sender: PubsubUser };
  /** Someone's first connection subscribed to `topic`, or its last one left. */
  presence: { topic: string; type: "join" | "leave"; user: PubsubUser };
  /** The members of `topic` (watched through `topic/presence`), after every change and every resume. */
  members: { topic: string; members: PubsubUser[] };
  /** The session could not be resumed: messages published meanwhile are lost; a new session has the same subscriptions. */
  "session-lost": { reason: SwitchboardError };
  /** Topics a resume or re-subscribe did not restore (the configuration no longer allows them). */
  "recovery-failed": { topics: string[]; error: SwitchboardError };
  error: SwitchboardError;
}

type Reply = Record<string, unknown> & { type: string };

const seqOf = (id: string) => Number.parseInt(id, 10);
const presenceOf = (topic: string) => (topic.endsWith("/presence") ? topic.slice(0, -"/presence".length) : null);

export class PubsubClient extends Emitter<PubsubEvents> {
  session: string | null = null;
  user: PubsubUser | null = null;
  private readonly conn: Connection;
  private readonly pending = new Pending<Reply>();
  private readonly timeoutMs: number;
  /** Topics as subscribed, in the order they were asked for. */
  private readonly topics = new Set<string>();
  /** Per topic: the id of the last message given to the app. */
  private readonly lastIds = new Map<string, string>();
  private readonly memberLists = new Map<string, Map<string, PubsubUser>>();
  private ids = 0;
  private ended: SwitchboardError | null = null;

  constructor(private readonly opts: PubsubOptions) {
    super();
    this.timeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.conn = new Connection(async () => socketUrl(await addressOf(opts.url), "/pubsub"), opts, this.wire(), (change) => this.emit("state", change));
  }

  get state(): StateChange["state"] {
    return this.conn.state;
  }

  async connect(): Promise<PubsubUser> {
    await this.conn.start();
    return this.user!;
  }

  subscribed(): string[] {
    return [...this.topics];
  }

  /** Current members of `topic` (when `topic/presence` is subscribed). */
  members(topic: string): PubsubUser[] {
    return [...(this.memberLists.get(topic)?.values() ?? [])];
  }

  /** Subscribes; for `T/presence` topics the reply's members are also the start of `members(T)`. */
  async subscribe(topics: string | string[]): Promise<SubSuccess> {
    const list = typeof topics === "string" ? [topics] : topics;
    const reply = (await this.req({ op: "sub", type: "request", id: this.nextId(), topics: list })) as unknown as SubSuccess;
    for (const t of reply.topics) this.topics.add(t);
    this.takeMembers(reply.topics, reply);
    return reply;
  }

  async unsubscribe(topics: string | string[]): Promise<void> {
    const list = typeof topics === "string" ? [topics] : topics;
    await this.req({ op: "unsub", type: "request", id: this.nextId(), topics: list });
    for (const t of list) {
      this.topics.delete(t);
      this.lastIds.delete(t);
      const watched = presenceOf(t);
      if (watched) this.memberLists.delete(watched);
    }
  }

  /** Publishes `data` to each topic; resolves once the server has stored it. */
  async publish(topics: string | string[], data: Json): Promise<void> {
    await this.req({ op: "pub", type: "request", id: this.nextId(), topics: typeof topics === "string" ? [topics] : topics, data });
  }

  reconnectNow(): void {
    this.conn.reconnectNow();
  }

  close(): void {
    this.conn.close(1000, "");
  }

  // ---- the wire ----

  private nextId(): string {
    return `c${++this.ids}`;
  }

  private async req(frame: ClientFrame): Promise<Reply> {
    if (this.conn.state === "closed") throw closedError();
    return checked(await request(this.conn, this.pending, String(frame.id), JSON.stringify(frame), this.timeoutMs, `${frame.op}`));
  }

  private async linkReq(link: Link, frame: ClientFrame): Promise<Reply> {
    return checked(await requestOn(link, this.pending, String(frame.id), JSON.stringify(frame), this.timeoutMs, frame.op));
  }

  private wire() {
    return {
      handshake: (link: Link) => this.handshake(link),
      frame: (text: string) => this.onFrame(text),
      lost: (info: LostInfo) => this.onLost(info),
      closed: (err: SwitchboardError) => this.pending.rejectAll(() => err),
    };
  }

  private async handshake(link: Link): Promise<void> {
    if (this.session) {
      const received = Object.fromEntries(this.lastIds);
      try {
        const reply = (await this.linkReq(link, { op: "resume", type: "request", id: this.nextId(), session: this.session, received })) as unknown as ResumeSuccess;
        this.user = reply.user;
        const missing = [...this.topics].filter((t) => !reply.topics.includes(t));
        if (missing.length > 0) {
          for (const t of missing) this.topics.delete(t);
          this.emit("recovery-failed", { topics: missing, error: new SwitchboardError("403", "not restored by the resume") });
        }
        this.takeMembers(reply.topics, reply);
        this.emit("session", { session: reply.session, user: reply.user, resumed: true });
        return;
      } catch (err) {
        const e = err as SwitchboardError;
        if (e.info.status !== 404) throw e;
        this.session = null;
        this.emit("session-lost", { reason: e });
      }
    }
    await this.newSession(link);
  }

  /** connect, then the subscriptions the app had (a lost session's too). */
  private async newSession(link: Link): Promise<void> {
    const auth = typeof this.opts.auth === "function" ? await this.opts.auth() : this.opts.auth;
    const reply = await this.linkReq(link, { op: "connect", type: "request", id: this.nextId(), auth }).catch((err: SwitchboardError) => {
      // A refused credential stays refused, unless a function can bring another one.
      const refused = err.info.status === 401 || err.info.status === 400;
      throw refused ? new SwitchboardError(err.code, err.message, { ...err.info, fatal: typeof this.opts.auth !== "function" }) : err;
    });
    this.session = reply.session as string;
    this.user = reply.user as PubsubUser;
    // A new session's topics restart their sequence: what was seen under the old one says nothing here.
    this.lastIds.clear();
    this.emit("session", { session: this.session, user: this.user, resumed: false });
    const topics = [...this.topics];
    if (topics.length === 0) return;
    try {
      const sub = (await this.linkReq(link, { op: "sub", type: "request", id: this.nextId(), topics })) as unknown as SubSuccess;
      this.takeMembers(sub.topics, sub);
    } catch (err) {
      const e = err as SwitchboardError;
      if (e.info.status !== 403) throw e;
      const refused = (e.info.details as { topics?: string[] } | undefined)?.topics ?? topics;
      for (const t of refused) this.topics.delete(t);
      this.emit("recovery-failed", { topics: refused, error: e });
      const rest = [...this.topics];
      if (rest.length > 0) this.takeMembers(rest, (await this.linkReq(link, { op: "sub", type: "request", id: this.nextId(), topics: rest })) as unknown as SubSuccess);
    }
  }

  private onLost(info: LostInfo): SwitchboardError | null {
    rejectInFlight(this.pending);
    if (info.code === 1000 && info.reason === "session resumed elsewhere") return new SwitchboardError("session.taken", "another connection resumed this session", { fatal: true });
    const ended = this.ended;
    this.ended = null;
    if (ended && typeof this.opts.auth !== "function") return new SwitchboardError(ended.code, ended.message, { ...ended.info, fatal: true });
    return null;
  }

  private onFrame(text: string): void {
    const f = parseObject(text) as Reply | null;
    if (!f) return;
    if (f.op === "mesg") return this.onMesg(f as unknown as MesgPush);
    if (f.op === "pres") return this.onPres(f as unknown as PresPush);
    if (f.id === null || f.id === undefined) {
      if (f.type !== "error") return;
      // The credential was revoked or expired: the socket closes next, and the session cannot be resumed.
      if (f.op === "connect" && f.code === 401) {
        this.ended = errorOf(f as unknown as ErrorFrame);
        this.session = null;
        return this.emit("error", this.ended);
      }
      const oldest = this.pending.oldestKey();
      if (oldest) this.pending.resolve(oldest, f);
      else this.emit("error", errorOf(f as unknown as ErrorFrame));
      return;
    }
    this.pending.resolve(String(f.id), f);
  }

  private onMesg(m: MesgPush): void {
    const topic = m.topics[0];
    const last = this.lastIds.get(topic);
    // A replay can overlap what was already processed: the seq says which.
    if (last !== undefined && seqOf(m.id) <= seqOf(last)) return;
    this.lastIds.set(topic, m.id);
    this.emit("message", { topic, id: m.id, data: m.data, sender: m.sender });
  }

  private onPres(p: PresPush): void {
    const topic = p.topics[0];
    const list = this.memberLists.get(topic);
    if (list) {
      if (p.type === "join") list.set(p.sender.id, p.sender);
      else list.delete(p.sender.id);
    }
    this.emit("presence", { topic, type: p.type, user: p.sender });
    if (list) this.emit("members", { topic, members: [...list.values()] });
  }

  /** The member lists a sub or resume reply starts (or restarts) for its presence topics. */
  private takeMembers(topics: string[], reply: MembersFields): void {
    const watched = topics.map(presenceOf).filter((t): t is string => t !== null);
    for (const topic of watched) {
      const list = reply.presence?.[`${topic}/presence`] ?? reply.presence?.[topic] ?? (watched.length === 1 ? reply.members : undefined) ?? [];
      this.memberLists.set(topic, new Map(list.map((u) => [u.id, u])));
      this.emit("members", { topic, members: list });
    }
  }
}

function errorOf(f: ErrorFrame): SwitchboardError {
  return new SwitchboardError(String(f.code), f.message, { status: f.code, details: f.topics ? { topics: f.topics } : undefined });
}

function checked(reply: Reply): Reply {
  if (reply.type === "error") throw errorOf(reply as unknown as ErrorFrame);
  return reply;
}
