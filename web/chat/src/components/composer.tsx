import { useEffect, useRef, useState } from "preact/hooks";
import type { ChatStore } from "../store.js";

/** Stop-typing is sent after this long without a keystroke. */
const IDLE_MS = 3000;

export function Composer({ store, room }: { store: ChatStore; room: string }) {
  const [text, setText] = useState("");
  const typing = useRef(false);
  const idle = useRef<ReturnType<typeof setTimeout> | null>(null);

  const stop = () => {
    if (idle.current) clearTimeout(idle.current);
    idle.current = null;
    if (typing.current) store.typing(false);
    typing.current = false;
  };
  // A room change or leaving the page ends the typing signal.
  useEffect(() => stop, [room]);

  const onInput = (value: string) => {
    setText(value);
    if (!value) return stop();
    if (!typing.current) store.typing(true);
    typing.current = true;
    if (idle.current) clearTimeout(idle.current);
    idle.current = setTimeout(stop, IDLE_MS);
  };
  const send = (e: Event) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    typing.current = false;
    if (idle.current) clearTimeout(idle.current);
    setText("");
    void store.send(body);
  };
  return (
    <form class="composer" onSubmit={send}>
      <input
        value={text}
        onInput={(e) => onInput(e.currentTarget.value)}
        placeholder={`Message #${room}`}
        aria-label="message"
        data-testid="message-input"
        maxLength={4000}
        autoComplete="off"
      />
      <button type="submit" class="primary" data-testid="send">
        Send
      </button>
    </form>
  );
}
