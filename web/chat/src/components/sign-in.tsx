import { useState } from "preact/hooks";
import { messageOf, type ChatStore, type SignIn } from "../store.js";

/** Pick a name (or none: a guest), or sign in with an account. */
export function SignInForm({ store, onDone }: { store: ChatStore; onDone: () => void }) {
  const [mode, setMode] = useState<"name" | "account">("name");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const how: SignIn = mode === "account" ? { mode, name: name.trim(), password } : name.trim() ? { mode: "name", name: name.trim() } : { mode: "guest" };
    setBusy(true);
    setError(null);
    try {
      await store.signIn(how);
      onDone();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <form class="card" onSubmit={submit} data-testid="sign-in">
        <h1>Switchboard chat</h1>
        <div class="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === "name"} onClick={() => setMode("name")}>
            Choose a name
          </button>
          <button type="button" role="tab" aria-selected={mode === "account"} onClick={() => setMode("account")} data-testid="account-tab">
            Sign in
          </button>
        </div>
        <label>
          {mode === "account" ? "Account name" : "Your name (empty: a guest name)"}
          <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="username" maxLength={32} required={mode === "account"} />
        </label>
        {mode === "account" && (
          <label>
            Password
            <input name="password" type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" required />
          </label>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Connecting…" : mode === "account" ? "Sign in" : "Start chatting"}
        </button>
        {busy && store.status.state === "connecting" && store.status.attempt > 0 && <p class="hint">The server does not answer yet; trying again…</p>}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
