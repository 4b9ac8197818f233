// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and ONNX packages stay outside the server bundle (Next 16 already does this; listed to document it).
  serverExternalPackages: ["onnxruntime-node", "better-sqlite3", "@prisma/adapter-better-sqlite3", "sharp"],
  reactStrictMode: true,
  poweredByHeader: false,
};
export default nextConfig;
