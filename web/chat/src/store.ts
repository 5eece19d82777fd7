// The chat's state, fed by the instalk client's events. Components read it
// and re-render on `changed`; every action goes through the client.

import { InstalkClient, login, SwitchboardError, type StateChange, type StoredEvent, type User } from "../../../src/client/instalk.js";
import { People } from "./people.js";

export interface Line {
  nr: number;
  sid: string;
  kind: "msg" | "topic" | "rename";
  text: string;
  time: Date;
}

export interface RoomView {
  name: string;
  /** Stored events shown, in nr order, each once. */
  lines: Line[];
  members: User[];
  topic: string;
  /** Who is typing, and until when the signal counts without a `st`. */
  typing: Map<string, number>;
  /** Scroll-back reached the room's first event. */
  atStart: boolean;
  loadingOlder: boolean;
  unread: number;
}

export type SignIn = { mode: "guest" } | { mode: "name"; name: string } | { mode: "account"; name: string; password: string };

/** A typing signal counts this long unless a `st` or a message ends it sooner. */
const TYPING_MS = 6000;
const ROOMS_KEY = "switchboard-chat:rooms";

export class ChatStore {
  client: InstalkClient | null = null;
  me: User | null = null;
  status: StateChange = { state: "idle", attempt: 0 };
  readonly rooms = new Map<string, RoomView>();
  current: string | null = null;
  readonly people = new People();
  /** A short message for the person: an error, a room that could not be re-joined. */
  notice: string | null = null;
  /** On a narrow screen, which panel shows. */
  panel: "rooms" | "chat" | "members" = "chat";
  private readonly listeners = new Set<() => void>();
  private typingTimer: ReturnType<typeof setInterval> | null = null;

  /** `server`: the WebSocket's; `api`: where sign-in posts (see server.ts). */
  constructor(
    readonly server: string,
    readonly api: string,
  ) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(): void {
    for (const fn of this.listeners) fn();
  }

  say(notice: string | null): void {
    this.notice = notice;
    this.changed();
  }

  /** Connects as a guest, a chosen name, or an account; then re-joins the rooms this browser was in. */
  async signIn(how: SignIn): Promise<void> {
    const token = how.mode === "account" ? (await login(this.api, how.name, how.password)).accessToken : undefined;
    const client = new InstalkClient({ url: this.server, token, reconnect: { initialDelayMs: 300, maxDelayMs: 5000 } });
    this.wire(client);
    this.client = client;
    try {
      await client.connect();
      if (how.mode === "name") await client.identify(how.name);
    } catch (err) {
      client.close();
      this.client = null;
      throw err;
    }
    const saved = this.savedRooms();
    for (const room of saved.length > 0 ? saved : ["lobby"]) await this.join(room).catch((err: unknown) => this.say(messageOf(err)));
    this.changed();
  }

  async join(name: string): Promise<void> {
    const client = this.client!;
    if (this.rooms.has(name)) return this.select(name);
    // The view exists before the welcome: live events may come before join() resolves.
    const view = this.view(name);
    try {
      const welcome = await client.join(name);
      for (const e of welcome.messages) this.addLine(view, e);
      view.members = welcome.members;
      view.topic = welcome.topic;
      view.atStart = welcome.messages.length === 0 || welcome.messages[0].data.nr === 1;
      for (const u of welcome.members) this.people.add(u);
    } catch (err) {
      this.rooms.delete(name);
      this.changed();
      throw err;
    }
    this.saveRooms();
    this.select(name);
  }

  async leave(name: string): Promise<void> {
    this.rooms.delete(name);
    if (this.current === name) this.current = this.rooms.keys().next().value ?? null;
    this.saveRooms();
    this.changed();
    await this.client?.leave(name).catch(() => undefined);
  }

  select(name: string): void {
    this.current = name;
    const view = this.rooms.get(name);
    if (view) view.unread = 0;
    this.panel = "chat";
    this.changed();
  }

  show(panel: ChatStore["panel"]): void {
    this.panel = panel;
    this.changed();
  }

  async send(text: string): Promise<void> {
    const room = this.current;
    if (!room || !this.client || !text.trim()) return;
    this.client.typing(room, false);
    try {
      await this.client.send(room, text);
    } catch (err) {
      this.say(`Not sent: ${messageOf(err)}`);
    }
  }

  typing(on: boolean): void {
    if (this.current && this.client?.state === "open") this.client.typing(this.current, on);
  }

  async setTopic(topic: string): Promise<void> {
    if (this.current) await this.client?.setTopic(this.current, topic).catch((err: unknown) => this.say(messageOf(err)));
  }

  /** Scroll-back: the ten events before the oldest shown (`load`). */
  async loadOlder(name: string): Promise<void> {
    const view = this.rooms.get(name);
    if (!view || view.atStart || view.loadingOlder || !this.client) return;
    const oldest = view.lines[0]?.nr;
    if (oldest === undefined) {
      view.atStart = true;
      return this.changed();
    }
    view.loadingOlder = true;
    this.changed();
    try {
      const older = await this.client.load(name, oldest);
      for (const e of older) this.addLine(view, e);
      if (older.length === 0 || older[0].data.nr === 1) view.atStart = true;
    } catch (err) {
      this.say(messageOf(err));
    } finally {
      view.loadingOlder = false;
      this.changed();
    }
  }

  signOut(): void {
    this.client?.close();
    this.client = null;
    this.me = null;
    this.rooms.clear();
    this.current = null;
    this.changed();
  }

  private wire(client: InstalkClient): void {
    client.on("state", (s) => {
      this.status = s;
      this.changed();
    });
    client.on("welcome", (u) => {
      this.me = u;
      this.people.add(u);
      this.changed();
    });
    client.on("event", ({ room, event }) => {
      const view = this.rooms.get(room);
      if (!view) return;
      this.addLine(view, event);
      if (event.o === "msg") view.typing.delete(event.data.sid);
      if (room !== this.current && event.o === "msg") view.unread++;
      this.changed();
    });
    client.on("members", ({ room, members }) => {
      const view = this.rooms.get(room);
      if (!view) return;
      view.members = members;
      for (const u of members) this.people.add(u);
      this.changed();
    });
    client.on("presence", (p) => {
      if (p.change !== "disconnect") this.people.add(p.user);
      this.rooms.get(p.room)?.typing.delete(p.change === "disconnect" ? p.sid : p.user.id);
      this.changed();
    });
    client.on("signal", ({ room, sid, signal }) => {
      const view = this.rooms.get(room);
      if (!view) return;
      if (signal === "bt") view.typing.set(sid, Date.now() + TYPING_MS);
      else view.typing.delete(sid);
      this.watchTyping();
      this.changed();
    });
    client.on("topic", ({ room, topic }) => {
      const view = this.rooms.get(room);
      if (view) view.topic = topic;
      this.changed();
    });
    client.on("kicked", ({ room, reason }) => {
      this.rooms.delete(room);
      this.saveRooms();
      this.say(`You were taken out of ${room} (${reason}).`);
    });
    client.on("recovery-failed", ({ room, error }) => {
      this.rooms.delete(room);
      this.saveRooms();
      this.say(`Could not re-join ${room}: ${error.code}.`);
    });
  }

  private view(name: string): RoomView {
    let view = this.rooms.get(name);
    if (!view) {
      view = { name, lines: [], members: [], topic: "", typing: new Map(), atStart: false, loadingOlder: false, unread: 0 };
      this.rooms.set(name, view);
    }
    return view;
  }

  /** Inserts in nr order; an nr already shown is not shown twice. */
  private addLine(view: RoomView, e: StoredEvent): void {
    const line = lineOf(e);
    if (e.o === "set-user-info") this.people.add(e.data.user);
    const lines = view.lines;
    let i = lines.length;
    while (i > 0 && lines[i - 1].nr > line.nr) i--;
    if (i > 0 && lines[i - 1].nr === line.nr) return;
    lines.splice(i, 0, line);
  }

  private watchTyping(): void {
    if (this.typingTimer) return;
    this.typingTimer = setInterval(() => {
      const now = Date.now();
      let any = false;
      let expired = false;
      for (const view of this.rooms.values())
        for (const [sid, until] of view.typing) {
          if (until <= now) {
            view.typing.delete(sid);
            expired = true;
          } else any = true;
        }
      if (!any && this.typingTimer) {
        clearInterval(this.typingTimer);
        this.typingTimer = null;
      }
      if (expired) this.changed();
    }, 1000);
  }

  private savedRooms(): string[] {
    try {
      const list: unknown = JSON.parse(localStorage.getItem(ROOMS_KEY) ?? "[]");
      return Array.isArray(list) ? list.filter((r): r is string => typeof r === "string") : [];
    } catch {
      return [];
    }
  }

  private saveRooms(): void {
    localStorage.setItem(ROOMS_KEY, JSON.stringify([...this.rooms.keys()]));
  }
}

function lineOf(e: StoredEvent): Line {
  const base = { nr: e.data.nr, sid: e.data.sid, time: new Date(e.data.time.$date) };
  switch (e.o) {
    case "msg":
      return { ...base, kind: "msg", text: e.data.body };
    case "set-room-topic":
      return { ...base, kind: "topic", text: e.data.topic };
    case "set-user-info":
      return { ...base, kind: "rename", text: e.data.user.username };
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof SwitchboardError) return FRIENDLY[err.code] ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

const FRIENDLY: Record<string, string> = {
  "name.taken": "That name is taken right now.",
  "name.invalid": "Names are 1–32 letters, digits, spaces and . _ -",
  "credentials.invalid": "Wrong name or password.",
  "rate.limited": "Too many attempts; wait a little.",
  "room.invalid": "Room names are 1–64 letters, digits and . _ -",
  "room.banned": "You are banned from that room.",
  "room.closed": "That room is closed.",
  "connection.lost": "The connection dropped before the server answered.",
};
