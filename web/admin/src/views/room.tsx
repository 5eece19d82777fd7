import { useEffect, useState } from "preact/hooks";
import { api, ApiError, seg } from "../api.js";
import { clock, eventText } from "../format.js";
import { useStream } from "../hooks.js";
import { Link } from "../router.js";
import type { HistoryPage, Presence, PresenceMember, RoomEvent, RoomSummary } from "../types.js";
import { Outcome, StreamBadge } from "./parts.js";

const TAIL_KEPT = 200;

const failure = (err: unknown) => (err instanceof ApiError ? `${err.code}: ${err.reason}` : "the server did not answer");

function EventRow({ e }: { e: RoomEvent }) {
  return (
    <li class={`event ${e.seq === null ? "signal" : "stored"}`}>
      <span class="muted">{clock(e.time)}</span> <span class="seq">{e.seq ?? "·"}</span> <span class="type">{e.type}</span> <strong>{e.sender.name}</strong>{" "}
      <span class="text">{eventText(e.type, e.data)}</span>
    </li>
  );
}

/** One member and what the operator can do to it. */
function MemberRow({ room, m, done }: { room: string; m: PresenceMember; done: (ok: string | null, error: string | null) => void }) {
  const act = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      done(`${what} ${m.name}`, null);
    } catch (err) {
      done(null, failure(err));
    }
  };
  return (
    <tr data-testid={`member-${m.id}`}>
      <td>
        <span class="dot" style={{ background: m.color }} /> {m.name}
      </td>
      <td class="mono">{m.id}</td>
      <td>{m.guest ? "guest" : m.verified ? "account" : "unverified"}</td>
      <td>{m.connections}</td>
      <td>{m.nodes.join(", ")}</td>
      <td>
        <span class="actions">
        <button data-testid="kick" onClick={() => act("kicked", () => api("POST", `/api/admin/rooms/${seg(room)}/kick`, { user: m.id }))}>
          Kick
        </button>
        <button data-testid="ban" onClick={() => act("banned", () => api("POST", `/api/admin/rooms/${seg(room)}/kick`, { user: m.id, ban: true }))}>
          Ban
        </button>
        <button data-testid="disconnect" onClick={() => act("disconnected", () => api("POST", `/api/admin/users/${seg(m.id)}/disconnect`, {}))}>
          Disconnect
        </button>
        <button class="danger" data-testid="revoke" onClick={() => act("revoked the credentials of", () => api("POST", `/api/admin/users/${seg(m.id)}/revoke`))}>
          Revoke
        </button>
        </span>
      </td>
    </tr>
  );
}

function PublishForm({ room }: { room: string }) {
  const [body, setBody] = useState("");
  const [as, setAs] = useState("");
  const [ok, setOk] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function send(e: Event) {
    e.preventDefault();
    try {
      const res = await api<{ seq: number }>("POST", `/api/admin/rooms/${seg(room)}/messages`, as.trim() ? { body, as: as.trim() } : { body });
      setOk(`stored as #${res.seq}`);
      setError(null);
      setBody("");
    } catch (err) {
      setOk(null);
      setError(failure(err));
    }
  }
  return (
    <form class="inline" onSubmit={send} data-testid="room-publish">
      <input value={body} onInput={(e) => setBody(e.currentTarget.value)} placeholder="Message to the room" required data-testid="room-publish-body" />
      <input value={as} onInput={(e) => setAs(e.currentTarget.value)} placeholder="as user id (default: system)" class="narrow" />
      <button type="submit" data-testid="room-publish-send">
        Publish
      </button>
      <Outcome ok={ok} error={error} />
    </form>
  );
}

/** Stored events, newest page first; "older" pages back; stored events seen live since are added at the end. */
function History({ room, refresh, live }: { room: string; refresh: number; live: RoomEvent[] }) {
  const [pages, setPages] = useState<HistoryPage[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = async (before: number | null, reset: boolean) => {
    try {
      const page = await api<HistoryPage>("GET", `/api/admin/rooms/${seg(room)}/history?limit=50${before ? `&before=${before}` : ""}`);
      setPages((p) => (reset ? [page] : [page, ...p]));
      setError(null);
    } catch (err) {
      setError(failure(err));
    }
  };
  useEffect(() => void load(null, true), [room, refresh]);
  const oldest = pages[0];
  const loaded = pages.flatMap((p) => p.events);
  const newest = loaded.at(-1)?.seq ?? 0;
  const events = pages.length === 0 ? [] : [...loaded, ...live.filter((e) => e.seq !== null && e.seq > newest)];
  return (
    <div>
      {oldest?.prev != null && <button onClick={() => load(oldest.prev, false)}>Older</button>}
      {error && <p class="error">{error}</p>}
      <ol class="events" data-testid="history">
        {events.map((e) => (
          <EventRow e={e} />
        ))}
      </ol>
      {pages.length > 0 && events.length === 0 && <p class="muted">Nothing stored yet.</p>}
    </div>
  );
}

/** A room: live summary, members and event tail over the stream; history, publishing and moderation over the API. */
export function RoomView({ room }: { room: string }) {
  const [summary, setSummary] = useState<RoomSummary | null>(null);
  const [members, setMembers] = useState<Presence | null>(null);
  const [tail, setTail] = useState<RoomEvent[]>([]);
  const [missing, setMissing] = useState(false);
  const [ok, setOk] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);
  useEffect(() => {
    setSummary(null);
    setMembers(null);
    setTail([]);
    setMissing(false);
    Promise.all([api<RoomSummary>("GET", `/api/admin/rooms/${seg(room)}`), api<Presence>("GET", `/api/admin/rooms/${seg(room)}/presence`)]).then(
      ([s, p]) => (setSummary(s), setMembers(p)),
      (err) => err instanceof ApiError && err.status === 404 && setMissing(true),
    );
  }, [room]);
  const state = useStream(missing ? null : { view: "room", room }, (e) => {
    if (e.event === "room") setSummary(e.data);
    else if (e.event === "members") setMembers(e.data);
    else if (e.event === "event") setTail((t) => [...t, e.data].slice(-TAIL_KEPT));
  });
  const done = (okText: string | null, errorText: string | null) => {
    setOk(okText);
    setError(errorText);
  };
  if (missing) return <p class="error">No room "{room}".</p>;
  return (
    <section>
      <p>
        <Link href="/rooms">← Rooms</Link>
      </p>
      <h1>
        <span data-testid="room-title">{room}</span> <StreamBadge state={state} />
      </h1>
      {summary && (
        <p class="muted" data-testid="room-summary">
          members {members?.members.length ?? summary.members} · connections {members?.members.reduce((n, m) => n + m.connections, 0) ?? summary.connections} · last seq{" "}
          {Math.max(summary.lastSeq, ...tail.map((e) => e.seq ?? 0))}
          {summary.topic && ` · topic: ${summary.topic}`}
          {summary.closed && " · closed"}
          {summary.locked && " · locked"}
        </p>
      )}
      <h2>Members</h2>
      {members && members.members.length === 0 ? (
        <p class="muted" data-testid="no-members">
          Nobody is in the room.
        </p>
      ) : (
        <table data-testid="members">
          <thead>
            <tr>
              <th>name</th>
              <th>id</th>
              <th>kind</th>
              <th>connections</th>
              <th>nodes</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {members?.members.map((m) => (
              <MemberRow room={room} m={m} done={done} />
            ))}
          </tbody>
        </table>
      )}
      <Outcome ok={ok} error={error} />
      {summary && summary.bans.length > 0 && (
        <div>
          <h2>Banned</h2>
          <ul class="plain" data-testid="bans">
            {summary.bans.map((user) => (
              <li>
                <span class="mono">{user}</span>{" "}
                <button
                  onClick={() =>
                    api("DELETE", `/api/admin/rooms/${seg(room)}/bans/${seg(user)}`).then(
                      () => done(`unbanned ${user}`, null),
                      (err) => done(null, failure(err)),
                    )
                  }
                >
                  Unban
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <h2>Publish as the system</h2>
      <PublishForm room={room} />
      <div class="columns">
        <div>
          <h2>Live</h2>
          <ol class="events" data-testid="tail">
            {tail.map((e) => (
              <EventRow e={e} />
            ))}
          </ol>
          {tail.length === 0 && <p class="muted">Events appear here as they happen.</p>}
        </div>
        <div>
          <h2>
            History <button class="quiet" onClick={() => setRefresh((r) => r + 1)}>Reload</button>
          </h2>
          <History room={room} refresh={refresh} live={tail} />
        </div>
      </div>
    </section>
  );
}
