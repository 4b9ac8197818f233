/** Uploads an image for Load Image: POST /api/uploads answers `{ name, width, height }`. */
export interface UploadedImage {
  name: string;
  width: number;
  height: number;
}

export async function uploadImage(file: File): Promise<UploadedImage> {
  const body = new FormData();
  body.append("file", file, file.name);
  const res = await fetch("/api/uploads", { method: "POST", body });
  const json = (await res.json().catch(() => null)) as (UploadedImage & { error?: string }) | null;
  if (!res.ok || !json?.name) throw new Error(json?.error ?? `HTTP ${res.status}`);
  return json;
}
