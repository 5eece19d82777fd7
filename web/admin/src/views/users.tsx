import { useEffect, useState } from "preact/hooks";
import { api, ApiError, seg } from "../api.js";
import { useFetch } from "../hooks.js";
import type { AccountDetail } from "../types.js";
import { Outcome } from "./parts.js";

const failure = (err: unknown) => (err instanceof ApiError ? `${err.code}: ${err.reason}` : "the server did not answer");

/** Disconnect or revoke by user id: accounts and guests alike; `onDone` after either worked. */
function UserActions({ user, label, onDone }: { user: string; label: string; onDone?: () => void }) {
  const [ok, setOk] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = (what: string, run: () => Promise<unknown>) =>
    run().then(
      () => (setOk(`${what} ${label}`), setError(null), onDone?.()),
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

type AccountPage = { accounts: AccountDetail[]; next: string | null };

const PAGE_SIZE = 50;

/** The search and the page of it shown: one state, so a new search never fetches with an old cursor. */
interface Paging {
  q: string;
  after: string | null;
  /** The cursors of the pages before: the API pages forward only, so "previous" asks for one of them again. */
  trail: Array<string | null>;
}

/**
 * Every account in name order, narrowed by a search over names and mails (or
 * an exact id) as one types, a page at a time; and actions on any user id —
 * a guest's too.
 */
export function UsersView() {
  const [typed, setTyped] = useState("");
  const [paging, setPaging] = useState<Paging>({ q: "", after: null, trail: [] });
  const [userId, setUserId] = useState("");
  // Typing does not ask the server at every key.
  useEffect(() => {
    const t = setTimeout(() => setPaging((p) => (p.q === typed.trim() ? p : { q: typed.trim(), after: null, trail: [] })), 250);
    return () => clearTimeout(t);
  }, [typed]);
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (paging.q) query.set("q", paging.q);
  if (paging.after !== null) query.set("after", paging.after);
  const { data, error, reload } = useFetch<AccountPage>(`/api/admin/accounts?${query.toString()}`);
  // Until the page asked for arrives, `data` is the one before: its `next` is where we already are.
  const next = data?.next != null && data.next !== paging.after ? data.next : null;
  const forward = () => next !== null && setPaging((p) => ({ ...p, after: next, trail: [...p.trail, p.after] }));
  const back = () => setPaging((p) => ({ ...p, after: p.trail[p.trail.length - 1] ?? null, trail: p.trail.slice(0, -1) }));
  return (
    <section>
      <h1>Users</h1>
      <input
        type="search"
        value={typed}
        onInput={(e) => setTyped(e.currentTarget.value)}
        placeholder="Search names and mails, or an exact account id"
        data-testid="account-search"
      />
      {error && <p class="error">{error}</p>}
      {data === null ? (
        !error && <p class="muted">Loading…</p>
      ) : data.accounts.length === 0 ? (
        <p class="muted" data-testid="no-accounts">
          {paging.q ? "No account's name or mail contains that, and no account has that id." : "No accounts yet."}
        </p>
      ) : (
        <table data-testid="accounts" data-query={paging.q}>
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
            {data.accounts.map((a) => (
              <tr key={a.id} data-testid={`account-row-${a.id}`}>
                <td>{a.name}</td>
                <td class="mono">{a.id}</td>
                <td>{a.mail ?? ""}</td>
                <td>{new Date(a.created).toLocaleString()}</td>
                <td>{a.revokedBefore ? new Date(a.revokedBefore).toLocaleString() : "—"}</td>
                <td>
                  <UserActions user={a.id} label={a.name} onDone={reload} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(paging.trail.length > 0 || next !== null) && (
        <div class="inline">
          <button class="quiet" onClick={back} disabled={paging.trail.length === 0} data-testid="accounts-prev">
            Previous
          </button>
          <span class="muted">page {paging.trail.length + 1}</span>
          <button class="quiet" onClick={forward} disabled={next === null} data-testid="accounts-next">
            Next
          </button>
        </div>
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
