import { useState } from "preact/hooks";
import { messageOf, type ChatStore } from "../store.js";

/** The rooms this user is in, and a box to join another. */
export function RoomList({ store, onSignOut }: { store: ChatStore; onSignOut: () => void }) {
  const [room, setRoom] = useState("");
  const join = async (e: Event) => {
    e.preventDefault();
    const name = room.trim();
    if (!name) return;
    try {
      await store.join(name);
      setRoom("");
    } catch (err) {
      store.say(messageOf(err));
    }
  };
  return (
    <nav class="rooms" aria-label="rooms">
      <header>
        <span class="me" style={{ color: store.me?.color }} data-testid="me">
          {store.me?.username}
        </span>
        <button class="link" onClick={onSignOut}>
          sign out
        </button>
      </header>
      <ul>
        {[...store.rooms.values()].map((v) => (
          <li key={v.name} class={v.name === store.current ? "current" : ""}>
            <button class="room-name" onClick={() => store.select(v.name)} data-testid={`room-${v.name}`}>
              # {v.name}
              {v.unread > 0 && <span class="badge">{v.unread}</span>}
            </button>
            <button class="leave" aria-label={`leave ${v.name}`} title="leave" onClick={() => void store.leave(v.name)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={join} class="join">
        <input placeholder="join a room…" value={room} onInput={(e) => setRoom(e.currentTarget.value)} aria-label="room to join" data-testid="join-input" maxLength={64} />
        <button type="submit">Join</button>
      </form>
    </nav>
  );
}
