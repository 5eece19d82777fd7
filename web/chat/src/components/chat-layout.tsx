import type { ChatStore } from "../store.js";
import { Members } from "./members.js";
import { RoomList } from "./room-list.js";
import { RoomPane } from "./room-pane.js";
import { StatusBar } from "./status-bar.js";

/** Rooms | the current room | its members; on a phone one panel at a time. */
export function ChatLayout({ store, onSignOut }: { store: ChatStore; onSignOut: () => void }) {
  const view = store.current ? store.rooms.get(store.current) : undefined;
  return (
    <div class={`chat panel-${store.panel}`}>
      <StatusBar store={store} />
      <RoomList store={store} onSignOut={onSignOut} />
      {view ? <RoomPane store={store} view={view} /> : <section class="room empty">Join a room to start.</section>}
      {view && <Members store={store} view={view} />}
    </div>
  );
}
