// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and ONNX packages stay outside the server bundle (Next 16 already does this; listed to document it).
  serverExternalPackages: [
    "onnxruntime-node",
    "better-sqlite3",
    "@prisma/adapter-better-sqlite3",
    "sharp",
    // The ComfyUI-compatible endpoint's WebSocket server (its optional native add-ons are not bundled).
    "ws",
    // The worker pool's queue (server/pool): loaded from node_modules as is, with its Redis client.
    "bullmq",
    "ioredis",
  ],
  reactStrictMode: true,
  poweredByHeader: false,
  // next/image is not used: its /_next/image endpoint fetched /api/artifacts/<id> from inside the
  // server, past the same-origin guard. Unoptimized, the endpoint answers 404.
  images: { unoptimized: true },
  async headers() {
    // No page of ours may be framed by another site (clickjacking the editor or the token dialog).
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Content-Security-Policy", value: "frame-ancestors 'none'" },
        ],
      },
    ];
  },
};
export default nextConfig;
