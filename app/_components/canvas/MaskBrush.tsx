"use client";
/**
 * Load Mask's brush: "Paint mask" opens a small painter over the graph's input image (its first Load
 * Image), with brush / eraser, a size, and Clear. Saving uploads the mask as an opaque greyscale PNG
 * (white = repaint) and points the node at it, reading the red channel, so the next run uses it.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { useEditor, useEditorContext } from "@/app/_lib/editor-context";
import { isPetal, type PetalNode } from "@/app/_lib/flow-types";
import { uploadImage } from "@/app/_lib/uploads";
import {
  channelForPaintedMask,
  emptyMask,
  type MaskBitmap,
  type MaskChannel,
  maskFromRgba,
  maskToRgba,
  stampSegment,
} from "@/core/image/mask-brush";

/** The painter's longer side on screen (CSS px): small images are shown enlarged, pixelated. */
const VIEW = 384;
const uploadUrl = (name: string) => `/api/uploads/${encodeURIComponent(name)}`;

function loadPixels(url: string): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const c = document.createElement("canvas");
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const g = c.getContext("2d", { willReadFrequently: true });
      if (!g) return reject(new Error("no 2D canvas"));
      g.drawImage(img, 0, 0);
      resolve({ width: c.width, height: c.height, rgba: g.getImageData(0, 0, c.width, c.height).data });
    };
    img.onerror = () => reject(new Error(`cannot load ${url}`));
    img.src = url;
  });
}

export function MaskBrushButton({ id, data }: { id: string; data: PetalNode["data"] }) {
  const [open, setOpen] = useState(false);
  const { readOnly } = useEditorContext();
  return (
    <div className="pf-mask-brush__open">
      <button
        type="button"
        className="pf-button pf-button--small nodrag"
        data-testid="mask-brush-open"
        disabled={readOnly}
        onClick={() => setOpen(true)}
      >
        Paint mask…
      </button>
      {open &&
        createPortal(<MaskPainter id={id} data={data} onClose={() => setOpen(false)} />, document.body)}
    </div>
  );
}

function MaskPainter({ id, data, onClose }: { id: string; data: PetalNode["data"]; onClose(): void }) {
  const { store, validation, actions } = useEditorContext();
  // The picture the mask is for: the graph's first Load Image (shown under the mask; sets its size).
  const backdrop = useEditor((s) => {
    const n = s.nodes.find((x) => isPetal(x) && x.data.type === "load-image");
    const v = n && isPetal(n) ? n.data.params.image : undefined;
    return typeof v === "string" ? v : "";
  });
  const current = typeof data.params.image === "string" ? data.params.image : "";
  const channel = (typeof data.params.channel === "string" ? data.params.channel : "alpha") as MaskChannel;

  const [mask, setMask] = useState<MaskBitmap | null>(null);
  const [erase, setErase] = useState(false);
  const [size, setSize] = useState(6);
  const [saving, setSaving] = useState(false);
  const [, redraw] = useState(0);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const last = useRef<{ x: number; y: number } | null>(null);

  // The starting mask: the node's current one (read as the node reads it), else an empty one the
  // size of the backdrop (512² without one).
  useEffect(() => {
    let live = true;
    (async () => {
      let m: MaskBitmap;
      try {
        if (current) {
          const p = await loadPixels(uploadUrl(current));
          m = maskFromRgba(p.rgba, p.width, p.height, channel);
        } else if (backdrop) {
          const p = await loadPixels(uploadUrl(backdrop));
          m = emptyMask(p.width, p.height);
        } else m = emptyMask(512, 512);
      } catch {
        m = emptyMask(512, 512);
      }
      if (live) {
        setMask(m);
        setSize(Math.max(1, Math.round(Math.max(m.width, m.height) / 10)));
      }
    })();
    return () => {
      live = false;
    };
  }, [current, backdrop, channel]);

  // The mask drawn as a translucent red overlay.
  const paint = useCallback(() => {
    const c = canvasRef.current;
    const g = c?.getContext("2d");
    if (!c || !g || !mask) return;
    const img = g.createImageData(mask.width, mask.height);
    for (let i = 0; i < mask.data.length; i++) {
      img.data[i * 4] = 255;
      img.data[i * 4 + 3] = Math.round(mask.data[i] * 0.6);
    }
    g.putImageData(img, 0, 0);
  }, [mask]);
  useEffect(paint);

  const toImage = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) / r.width) * (mask?.width ?? 1),
      y: ((e.clientY - r.top) / r.height) * (mask?.height ?? 1),
    };
  };
  const strokeTo = (p: { x: number; y: number }) => {
    if (!mask) return;
    stampSegment(mask, last.current ?? p, p, size / 2, erase ? 0 : 255);
    last.current = p;
    paint();
  };

  const save = async () => {
    if (!mask) return;
    setSaving(true);
    try {
      const c = document.createElement("canvas");
      c.width = mask.width;
      c.height = mask.height;
      c.getContext("2d")?.putImageData(new ImageData(maskToRgba(mask), mask.width, mask.height), 0, 0);
      const blob = await new Promise<Blob | null>((res) => c.toBlob(res, "image/png"));
      if (!blob) throw new Error("the browser made no PNG");
      const up = await uploadImage(new File([blob], "painted-mask.png", { type: "image/png" }));
      // One undo step for both: the new picture and the channel its greyscale is read from.
      const params = { ...data.params, image: up.name, channel: channelForPaintedMask(channel) };
      store.setPetalData(id, { params }, `param:${id}:image`);
      validation.clearNode(id);
      onClose();
    } catch (err) {
      actions.notify(`Saving the mask failed: ${(err as Error).message}`, "error");
      setSaving(false);
    }
  };

  const scale = mask ? VIEW / Math.max(mask.width, mask.height) : 1;
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: stops the canvas underneath seeing these events
    <div
      className="pf-search-backdrop pf-mask-brush__backdrop"
      onPointerDown={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === "Escape") onClose();
      }}
    >
      <div className="pf-search pf-mask-brush" role="dialog" aria-label="Paint mask" data-testid="mask-brush">
        <p className="pf-muted pf-mask-brush__hint">Paint where the image should be repainted.</p>
        {mask ? (
          <div
            className="pf-mask-brush__stage"
            style={{ width: mask.width * scale, height: mask.height * scale }}
          >
            {backdrop && (
              // biome-ignore lint/performance/noImgElement: user uploads served by our own API
              <img
                className="pf-mask-brush__backdrop-img"
                src={uploadUrl(backdrop)}
                alt=""
                draggable={false}
              />
            )}
            <canvas
              ref={canvasRef}
              className="pf-mask-brush__canvas"
              data-testid="mask-brush-canvas"
              aria-label="Mask (drag to paint)"
              width={mask.width}
              height={mask.height}
              onPointerDown={(e) => {
                e.currentTarget.setPointerCapture(e.pointerId);
                last.current = null;
                strokeTo(toImage(e));
              }}
              onPointerMove={(e) => {
                if (e.buttons & 1 && last.current) strokeTo(toImage(e));
              }}
              onPointerUp={() => {
                last.current = null;
                redraw((n) => n + 1);
              }}
            />
          </div>
        ) : (
          <p className="pf-muted">Loading…</p>
        )}
        <div className="pf-mask-brush__tools">
          <button
            type="button"
            className="pf-button pf-button--small"
            aria-pressed={!erase}
            onClick={() => setErase(false)}
          >
            Brush
          </button>
          <button
            type="button"
            className="pf-button pf-button--small"
            aria-pressed={erase}
            onClick={() => setErase(true)}
          >
            Eraser
          </button>
          <label className="pf-mask-brush__size">
            Size
            <input
              type="range"
              min={1}
              max={mask ? Math.max(2, Math.round(Math.max(mask.width, mask.height) / 3)) : 64}
              value={size}
              aria-label="Brush size"
              onChange={(e) => setSize(Number(e.target.value))}
            />
            <span data-testid="mask-brush-size">{size}px</span>
          </label>
          <button
            type="button"
            className="pf-button pf-button--small"
            onClick={() => {
              if (!mask) return;
              mask.data.fill(0);
              paint();
            }}
          >
            Clear
          </button>
        </div>
        <div className="pf-mask-brush__actions">
          <button type="button" className="pf-button pf-button--small" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="pf-button pf-button--small pf-button--primary"
            disabled={!mask || saving}
            onClick={save}
          >
            {saving ? "Saving…" : "Save mask"}
          </button>
        </div>
      </div>
    </div>
  );
}
