import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { inlineAssets } from "./inline-assets.js";

// The dashboard is built into dist/web, next to the compiled server, which serves it.
const root = fileURLToPath(new URL(".", import.meta.url));
const API = process.env.AMLTK_UI_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  root,
  // Relative asset URLs: the dashboard works under any mount path (routing uses the hash).
  base: "./",
  plugins: [inlineAssets()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 300,
  },
  server: {
    // `vite --config web/vite.config.ts` during development: the API comes from `amltk ui`.
    // The server answers only to its own Host and Origin (docs/api.md, "Who may connect"), so
    // the proxy presents the request as the server's own.
    proxy: {
      "/api": {
        target: API,
        changeOrigin: true,
        configure: (proxy) => {
          proxy.on("proxyReq", (req) => {
            if (req.getHeader("origin")) req.setHeader("origin", new URL(API).origin);
          });
        },
      },
    },
  },
});
