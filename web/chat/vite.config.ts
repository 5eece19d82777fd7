// The web chat: Preact through esbuild's own JSX transform (no plugin), built
// into dist/web/chat/, which the server serves at `/`.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));
const repo = fileURLToPath(new URL("../..", import.meta.url));

export default defineConfig({
  root: here,
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: `${repo}dist/web/chat`,
    emptyOutDir: true,
    // Phones from the last few years: nothing here needs more.
    target: "es2020",
  },
  // The app imports the SDK straight from src/client/.
  server: { fs: { allow: [repo] } },
});
