import type { StreamState } from "../api.js";

export function StreamBadge({ state }: { state: StreamState }) {
  const text = state === "live" ? "live" : state === "connecting" ? "connecting" : "reconnecting";
  return (
    <span class={`badge ${state}`} data-testid="stream-state">
      {text}
    </span>
  );
}

/** A result line under a form: what happened, or why not. */
export function Outcome({ ok, error }: { ok: string | null; error: string | null }) {
  if (error) return <p class="error" role="alert">{error}</p>;
  if (ok) return <p class="ok" role="status">{ok}</p>;
  return null;
}
