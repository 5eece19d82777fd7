import type { ChatStore, RoomView } from "../store.js";

/** Who is in the room right now (presence is live), this user first. */
export function Members({ store, view }: { store: ChatStore; view: RoomView }) {
  const everyone = store.me ? [store.me, ...view.members] : view.members;
  return (
    <aside class="members" aria-label="members" data-testid="members">
      <header>
        <button class="back" onClick={() => store.show("chat")}>
          ‹
        </button>
        In #{view.name} ({everyone.length})
      </header>
      <ul>
        {everyone.map((u) => (
          <li key={u.id} data-testid="member">
            <span class="dot" style={{ background: u.color }} />
            <span style={{ color: u.color }}>{u.username}</span>
            {u.id === store.me?.id && <span class="you"> (you)</span>}
            {u.verified && <span class="verified" title="signed in with an account"> ✓</span>}
          </li>
        ))}
      </ul>
    </aside>
  );
}
