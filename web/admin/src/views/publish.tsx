import { useState } from "preact/hooks";
import { api, ApiError, seg } from "../api.js";
import type { Published } from "../types.js";
import { Outcome } from "./parts.js";

const failure = (err: unknown) => (err instanceof ApiError ? `${err.code}: ${err.reason}` : "the server did not answer");

/** Posting as the system (or a user) into a room or a pubsub topic. */
export function PublishView() {
  const [kind, setKind] = useState<"room" | "topic">("room");
  const [target, setTarget] = useState("");
  const [content, setContent] = useState("");
  const [as, setAs] = useState("");
  const [ok, setOk] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function send(e: Event) {
    e.preventDefault();
    let payload: Record<string, unknown>;
    if (kind === "room") payload = { body: content };
    else {
      try {
        payload = { data: JSON.parse(content) as unknown };
      } catch {
        return setError("the topic message must be JSON (a string needs quotes)");
      }
    }
    if (as.trim()) payload.as = as.trim();
    try {
      const res = await api<Published>("POST", `/api/admin/${kind === "room" ? "rooms" : "topics"}/${seg(target.trim())}/messages`, payload);
      setOk(`stored in ${res.stream} as #${res.seq}`);
      setError(null);
    } catch (err) {
      setOk(null);
      setError(failure(err));
    }
  }
  return (
    <section>
      <h1>Publish</h1>
      <form class="stacked" onSubmit={send} data-testid="publish">
        <label>
          Into
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as "room" | "topic")}>
            <option value="room">a room (instalk, really, fuse)</option>
            <option value="topic">a pubsub topic</option>
          </select>
        </label>
        <label>
          {kind === "room" ? "Room id" : "Topic"}
          <input value={target} onInput={(e) => setTarget(e.currentTarget.value)} required />
        </label>
        <label>
          {kind === "room" ? "Message" : "Data (JSON)"}
          <textarea value={content} onInput={(e) => setContent(e.currentTarget.value)} rows={4} required />
        </label>
        <label>
          As user id <span class="muted">(empty: the system)</span>
          <input value={as} onInput={(e) => setAs(e.currentTarget.value)} />
        </label>
        <button type="submit">Publish</button>
        <Outcome ok={ok} error={error} />
      </form>
    </section>
  );
}
