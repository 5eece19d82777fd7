import type { ChatStore } from "../store.js";

/** The connection, when it is not simply open, and the latest notice. */
export function StatusBar({ store }: { store: ChatStore }) {
  const { state, attempt } = store.status;
  const down = state === "reconnecting" || (state === "connecting" && attempt > 0);
  return (
    <div class="status" aria-live="polite">
      {down && (
        <div class="reconnecting" data-testid="reconnecting">
          reconnecting… {attempt > 1 ? `(attempt ${attempt})` : ""}
        </div>
      )}
      {state === "closed" && <div class="reconnecting">disconnected</div>}
      {store.notice && (
        <div class="notice" data-testid="notice">
          {store.notice}
          <button aria-label="dismiss" onClick={() => store.say(null)}>
            ×
          </button>
        </div>
      )}
    </div>
  );
}
