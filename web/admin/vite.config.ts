// The admin dashboard, built by scripts/build-web.mjs into dist/web/admin/ and
// served by the server itself at /admin (src/api/static-routes.ts).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "/admin/",
  // Preact's JSX runtime through esbuild's own options: no framework plugin needed.
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: here("../../dist/web/admin"),
    emptyOutDir: true,
    // No inline scripts or styles: the page is served with a strict Content-Security-Policy.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  logLevel: "warn",
});
