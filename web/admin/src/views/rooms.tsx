import { useEffect, useState } from "preact/hooks";
import { useStream } from "../hooks.js";
import { Link } from "../router.js";
import type { RoomList } from "../types.js";
import { StreamBadge } from "./parts.js";

/** Every room, with live member counts; the search filters by id on the server. */
export function RoomsView() {
  const [typed, setTyped] = useState("");
  const [q, setQ] = useState("");
  const [list, setList] = useState<RoomList | null>(null);
  // Typing does not reopen the stream at every key.
  useEffect(() => {
    const t = setTimeout(() => setQ(typed.trim()), 250);
    return () => clearTimeout(t);
  }, [typed]);
  const state = useStream(q ? { view: "rooms", q } : { view: "rooms" }, (e) => e.event === "rooms" && setList(e.data));
  return (
    <section>
      <h1>
        Rooms <StreamBadge state={state} />
      </h1>
      <input type="search" placeholder="Search room ids" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} data-testid="room-search" />
      {list === null ? (
        <p class="muted">Loading…</p>
      ) : list.rooms.length === 0 ? (
        <p class="muted" data-testid="no-rooms">
          {q ? "No room id contains that." : "No rooms yet."}
        </p>
      ) : (
        <table data-testid="rooms">
          <thead>
            <tr>
              <th>room</th>
              <th>members</th>
              <th>connections</th>
              <th>last seq</th>
              <th>topic</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {list.rooms.map((r) => (
              <tr data-testid={`room-row-${r.id}`}>
                <td>
                  <Link href={`/rooms/${encodeURIComponent(r.id)}`}>{r.id}</Link>
                </td>
                <td data-testid="room-members">{r.members}</td>
                <td>{r.connections}</td>
                <td>{r.lastSeq}</td>
                <td class="clip">{r.topic}</td>
                <td class="muted">{[r.closed && "closed", r.locked && "locked", r.bans.length > 0 && `${r.bans.length} banned`].filter(Boolean).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list?.next && <p class="muted">Showing the first {list.rooms.length} rooms: narrow the search to see others.</p>}
    </section>
  );
}
