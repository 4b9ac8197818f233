"use client";
/** Load Image's picture: a thumbnail of the current upload and a file picker that uploads a new one. */
import { useState } from "react";
import { uploadImage } from "@/app/_lib/uploads";

interface Props {
  id: string;
  label: string;
  value: unknown;
  disabled?: boolean;
  onChange(value: string): void;
  onError(message: string): void;
}

export function ImageWidget({ id, label, value, disabled, onChange, onError }: Props) {
  const [busy, setBusy] = useState(false);
  const name = typeof value === "string" ? value : "";
  return (
    <>
      <span className="pf-widget__label">{label}</span>
      <span className="pf-image-widget">
        {name ? (
          // biome-ignore lint/performance/noImgElement: user uploads served by our own API
          <img className="pf-thumb" src={`/api/uploads/${encodeURIComponent(name)}`} alt={`Upload ${name}`} />
        ) : (
          <span className="pf-muted">no image</span>
        )}
        <label className="pf-button pf-button--small nodrag" htmlFor={id}>
          {busy ? "Uploading…" : "Upload image"}
        </label>
        <input
          id={id}
          className="pf-visually-hidden"
          type="file"
          accept="image/png,image/jpeg"
          disabled={disabled || busy}
          onChange={async (e) => {
            const file = e.target.files?.[0];
            e.target.value = "";
            if (!file) return;
            setBusy(true);
            try {
              const up = await uploadImage(file);
              onChange(up.name);
            } catch (err) {
              onError(`Upload failed: ${(err as Error).message}`);
            } finally {
              setBusy(false);
            }
          }}
        />
      </span>
    </>
  );
}
