import { useState } from "preact/hooks";
import { api, ApiError, session } from "./api.js";

/** Trades nothing for nothing: the key is checked against the server once, then kept for this tab only. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("GET", "/api/admin/stats", undefined, key.trim());
      session.set(key.trim());
      onSignedIn();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? "The server refused this key." : err instanceof ApiError && err.status === 429 ? "Too many wrong keys from here; try again later." : "The server did not answer.");
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="sign-in" onSubmit={submit} data-testid="sign-in">
      <h1>Switchboard admin</h1>
      <p class="muted">
        Sign in with the server's admin key: <code>auth.adminKey</code>, or the file <code>admin.key</code> in its data folder.
      </p>
      <label>
        Admin key
        <input type="password" autocomplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} data-testid="admin-key" required />
      </label>
      <button type="submit" disabled={busy || key.trim() === ""} data-testid="sign-in-submit">
        Sign in
      </button>
      {error && (
        <p class="error" role="alert" data-testid="sign-in-error">
          {error}
        </p>
      )}
    </form>
  );
}
