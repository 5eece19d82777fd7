import { useState } from "preact/hooks";
import { api, ApiError } from "../api.js";
import { useFetch } from "../hooks.js";
import type { LiveConfig } from "../types.js";
import { Outcome } from "./parts.js";

/** The running configuration (secrets redacted) and the settings changed at run time, which a PATCH adds to. */
export function ConfigView() {
  const { data, error, reload } = useFetch<LiveConfig>("/api/config");
  const [patch, setPatch] = useState('{\n  "limits": { "burst": 100 }\n}');
  const [ok, setOk] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  async function apply(e: Event) {
    e.preventDefault();
    let body: unknown;
    try {
      body = JSON.parse(patch);
    } catch {
      return setFailed("not JSON");
    }
    try {
      await api("PATCH", "/api/config", body);
      setOk("applied: every node takes it within a heartbeat or two");
      setFailed(null);
      reload();
    } catch (err) {
      setOk(null);
      setFailed(err instanceof ApiError ? `${err.code}: ${err.reason}` : "the server did not answer");
    }
  }
  return (
    <section>
      <h1>Configuration</h1>
      {error && <p class="error">{error}</p>}
      <h2>Set at run time</h2>
      <pre data-testid="settings">{data ? JSON.stringify(data.settings, null, 2) : "…"}</pre>
      <form class="stacked" onSubmit={apply}>
        <label>
          Change (merged into what is set; fixed settings such as port or store are refused)
          <textarea rows={6} value={patch} onInput={(e) => setPatch(e.currentTarget.value)} class="mono" />
        </label>
        <button type="submit">Apply to every node</button>
        <Outcome ok={ok} error={failed} />
      </form>
      <h2>Running configuration of this node</h2>
      <pre data-testid="effective">{data?.effective ? JSON.stringify(data.effective, null, 2) : "…"}</pre>
    </section>
  );
}
