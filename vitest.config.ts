import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The app's "@/…" imports (tsconfig paths), so unit tests can load the editor's framework-free modules.
  resolve: { alias: { "@": fileURLToPath(new URL(".", import.meta.url)) } },
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/integration/**/*.test.ts"],
    // Two cores: ONNX sessions and SQLite files are heavy; a few forks are plenty.
    pool: "forks",
    maxWorkers: 2,
    // Generous: the machine is often loaded (8 jobs on 2 cores); a limit is for hangs, never for speed.
    // Waits inside tests are bounded below these, so that they fail with their own message first.
    testTimeout: 180_000,
    hookTimeout: 240_000,
  },
});
