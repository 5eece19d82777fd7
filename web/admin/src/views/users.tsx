import { useState } from "preact/hooks";
import { api, ApiError, seg } from "../api.js";
import type { AccountDetail } from "../types.js";
import { Outcome } from "./parts.js";

const failure = (err: unknown) => (err instanceof ApiError ? `${err.code}: ${err.reason}` : "the server did not answer");

/** Disconnect or revoke by user id: accounts and guests alike. */
function UserActions({ user, label }: { user: string; label: string }) {
  const [ok, setOk] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = (what: string, run: () => Promise<unknown>) =>
    run().then(
      () => (setOk(`${what} ${label}`), setError(null)),
      (err) => (setOk(null), setError(failure(err))),
    );
  return (
    <span class="actions">
      <button onClick={() => act("disconnected", () => api("POST", `/api/admin/users/${seg(user)}/disconnect`, {}))}>Disconnect</button>
      <button class="danger" onClick={() => act("revoked every credential of", () => api("POST", `/api/admin/users/${seg(user)}/revoke`))}>
        Revoke tokens and keys
      </button>
      <Outcome ok={ok} error={error} />
    </span>
  );
}

/**
 * Accounts by exact id, name or mail (the store finds accounts by those only),
 * and actions on any user id — a guest's too.
 */
export function UsersView() {
  const [q, setQ] = useState("");
  const [found, setFound] = useState<AccountDetail[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [userId, setUserId] = useState("");
  async function search(e: Event) {
    e.preventDefault();
    try {
      setFound((await api<{ accounts: AccountDetail[] }>("GET", `/api/admin/accounts?q=${seg(q.trim())}`)).accounts);
      setError(null);
    } catch (err) {
      setError(failure(err));
    }
  }
  return (
    <section>
      <h1>Users</h1>
      <form class="inline" onSubmit={search}>
        <input value={q} onInput={(e) => setQ(e.currentTarget.value)} placeholder="Exact account id, name or mail" required data-testid="account-search" />
        <button type="submit">Find</button>
      </form>
      {error && <p class="error">{error}</p>}
      {found && found.length === 0 && <p class="muted">No account has that id, name or mail.</p>}
      {found && found.length > 0 && (
        <table data-testid="accounts">
          <thead>
            <tr>
              <th>name</th>
              <th>id</th>
              <th>mail</th>
              <th>created</th>
              <th>credentials revoked before</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {found.map((a) => (
              <tr>
                <td>{a.name}</td>
                <td class="mono">{a.id}</td>
                <td>{a.mail ?? ""}</td>
                <td>{new Date(a.created).toLocaleString()}</td>
                <td>{a.revokedBefore ? new Date(a.revokedBefore).toLocaleString() : "—"}</td>
                <td>
                  <UserActions user={a.id} label={a.name} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Any user id</h2>
      <p class="muted">Guests have no account: take their id from a room's members.</p>
      <div class="inline">
        <input value={userId} onInput={(e) => setUserId(e.currentTarget.value)} placeholder="User id" data-testid="user-id" />
        {userId.trim() && <UserActions user={userId.trim()} label={userId.trim()} />}
      </div>
    </section>
  );
}
