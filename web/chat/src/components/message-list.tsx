import { useLayoutEffect, useRef } from "preact/hooks";
import type { ChatStore, Line, RoomView } from "../store.js";

const time = (d: Date) => d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/**
 * The room's lines. New lines keep the view at the bottom when it was there;
 * older lines loaded by scrolling up keep the line in view where it was.
 */
export function MessageList({ store, view }: { store: ChatStore; view: RoomView }) {
  const box = useRef<HTMLDivElement>(null);
  const last = useRef({ room: "", first: -1, count: 0, height: 0, atBottom: true });

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const before = last.current;
    const first = view.lines[0]?.nr ?? -1;
    if (before.room !== view.name) el.scrollTop = el.scrollHeight;
    else if (first !== before.first && before.first !== -1) el.scrollTop += el.scrollHeight - before.height;
    else if (view.lines.length !== before.count && before.atBottom) el.scrollTop = el.scrollHeight;
    last.current = { room: view.name, first, count: view.lines.length, height: el.scrollHeight, atBottom: nearBottom(el) };
  });

  const onScroll = () => {
    const el = box.current!;
    last.current.atBottom = nearBottom(el);
    if (el.scrollTop < 80) void store.loadOlder(view.name);
  };

  return (
    <div class="messages" ref={box} onScroll={onScroll} data-testid="messages">
      <div class="history-edge">
        {view.atStart ? (
          <span>The beginning of #{view.name}</span>
        ) : (
          <button class="link" onClick={() => void store.loadOlder(view.name)} disabled={view.loadingOlder} data-testid="load-older">
            {view.loadingOlder ? "loading…" : "earlier messages"}
          </button>
        )}
      </div>
      {view.lines.map((line) => (
        <LineView key={line.nr} line={line} store={store} />
      ))}
    </div>
  );
}

function LineView({ line, store }: { line: Line; store: ChatStore }) {
  const name = store.people.name(line.sid);
  const color = store.people.color(line.sid);
  const own = store.client?.isOwn(line.sid) ?? false;
  if (line.kind !== "msg")
    return (
      <div class="line event" data-nr={line.nr}>
        <span style={{ color }}>{name}</span> {line.kind === "topic" ? (line.text ? `set the topic to “${line.text}”` : "cleared the topic") : `is now ${line.text}`}
        <time>{time(line.time)}</time>
      </div>
    );
  return (
    <div class={`line msg${own ? " own" : ""}`} data-nr={line.nr} data-testid="line">
      <span class="avatar" style={{ background: color }} aria-hidden="true">
        {name.slice(0, 1).toUpperCase()}
      </span>
      <div class="content">
        <div class="meta">
          <span class="sender" style={{ color }}>
            {name}
          </span>
          <time dateTime={line.time.toISOString()}>{time(line.time)}</time>
        </div>
        <div class="body" data-testid="body">
          {line.text}
        </div>
      </div>
    </div>
  );
}

function nearBottom(el: HTMLElement): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight < 40;
}
