"use client";
/**
 * When the server asks for its access token (PETALFLOW_TOKEN, set on a server reachable from other
 * machines), ask the user once and hand it to /api/session, which keeps it in an HttpOnly,
 * SameSite=Strict cookie that page scripts cannot read; share links never need it.
 */
import { useState } from "react";

export function TokenDialog({ onDone }: { onDone(): void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div
      className="pf-search-backdrop"
      style={{ display: "grid", placeItems: "center", background: "rgb(0 0 0 / 0.3)" }}
    >
      <form
        className="pf-search"
        style={{ position: "static", width: 380 }}
        role="dialog"
        aria-label="Access token"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const res = await fetch("/api/session", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ token: token.trim() }),
            });
            if (res.ok) return onDone();
            const body = (await res.json().catch(() => null)) as { error?: string } | null;
            setError(body?.error ?? `the server answered ${res.status}`);
          } catch (err) {
            setError(`the server did not answer: ${(err as Error).message}`);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h2 style={{ fontSize: 16, marginTop: 0 }}>This server needs its access token</h2>
        <p className="pf-muted">Ask whoever runs it for the value of PETALFLOW_TOKEN.</p>
        <label htmlFor="pf-token">Access token</label>
        <input
          id="pf-token"
          className="pf-input"
          type="password"
          autoComplete="current-password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        {error && (
          <p role="alert" className="pf-status__text--error">
            {error}
          </p>
        )}
        <p>
          <button
            type="submit"
            className="pf-button pf-button--primary"
            disabled={busy || token.trim().length < 16}
          >
            Continue
          </button>
        </p>
      </form>
    </div>
  );
}
