import { useState } from "preact/hooks";
import type { ChatStore, RoomView } from "../store.js";
import { Composer } from "./composer.js";
import { MessageList } from "./message-list.js";

/** One room: its name and topic, its messages, who is typing, and the box to write in. */
export function RoomPane({ store, view }: { store: ChatStore; view: RoomView }) {
  const [editing, setEditing] = useState<string | null>(null);
  const typing = [...view.typing.keys()].map((id) => store.people.name(id));
  const saveTopic = (e: Event) => {
    e.preventDefault();
    if (editing !== null) void store.setTopic(editing);
    setEditing(null);
  };
  return (
    <section class="room" aria-label={`room ${view.name}`}>
      <header>
        <button class="menu" aria-label="rooms" onClick={() => store.show("rooms")}>
          ☰
        </button>
        <div class="title">
          <h2># {view.name}</h2>
          {editing === null ? (
            <button class="topic" onClick={() => setEditing(view.topic)} title="change the topic" data-testid="topic">
              {view.topic || "no topic — set one"}
            </button>
          ) : (
            <form onSubmit={saveTopic} class="topic-form">
              <input value={editing} onInput={(e) => setEditing(e.currentTarget.value)} aria-label="topic" maxLength={4000} autoFocus />
              <button type="submit">Set</button>
            </form>
          )}
        </div>
        <button class="people" aria-label="members" onClick={() => store.show("members")}>
          {view.members.length + 1} here
        </button>
      </header>
      <MessageList store={store} view={view} />
      <div class="typing" data-testid="typing" aria-live="polite">
        {typing.length === 1 && `${typing[0]} is typing…`}
        {typing.length === 2 && `${typing[0]} and ${typing[1]} are typing…`}
        {typing.length > 2 && "several people are typing…"}
      </div>
      <Composer store={store} room={view.name} />
    </section>
  );
}
