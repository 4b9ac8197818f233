"use client";
/**
 * When the server asks for its access token (PETALFLOW_TOKEN, set on a server reachable from other
 * machines), ask the user once and keep it in the cookie the API reads; share links never need it.
 */
import { useState } from "react";

export const TOKEN_COOKIE = "petalflow_token";

export function TokenDialog({ onDone }: { onDone(): void }) {
  const [token, setToken] = useState("");
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
        onSubmit={(e) => {
          e.preventDefault();
          const secure = window.location.protocol === "https:" ? "; Secure" : "";
          // biome-ignore lint/suspicious/noDocumentCookie: one cookie, set once; the Cookie Store API is not in every browser
          document.cookie = `${TOKEN_COOKIE}=${encodeURIComponent(token.trim())}; Path=/; SameSite=Strict; Max-Age=31536000${secure}`;
          onDone();
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
        <p>
          <button type="submit" className="pf-button pf-button--primary" disabled={token.trim().length < 16}>
            Continue
          </button>
        </p>
      </form>
    </div>
  );
}
