/** Serves the built dashboard (`dist/web`) with a fallback to index.html for client routes. */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Where the dashboard is: `dist/server/static.js` -> `dist/web`; when running from source
 * (`src/server/static.ts` under tsx) the build still lives in `<root>/dist/web`.
 */
export function defaultWebDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = resolve(here, "../web");
  if (existsSync(join(sibling, "index.html"))) return sibling;
  const fromSource = resolve(here, "../../dist/web");
  return existsSync(join(fromSource, "index.html")) ? fromSource : sibling;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>amltk</title>
<body style="font-family:system-ui;margin:3rem">
<h1>amltk server</h1>
<p>The API is running (<a href="/api/health">/api/health</a>), but the dashboard is not built.</p>
<p>Build it with <code>npm run build:web</code> in a checkout (it goes to <code>dist/web</code>).</p>
</body>`;

/** The fallback page has no script: it may use nothing but its inline style attribute. */
const NOT_BUILT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/**
 * The Content-Security-Policy of a page: its own inline scripts and styles (the build inlines
 * the app into index.html, web/inline-assets.ts) are allowed by hash, computed here from the
 * file being served, so no `'unsafe-inline'` and no build step to keep in sync. Anything
 * injected into the page (a stored run name rendered as HTML by a bug) cannot run.
 */
export function pageCsp(html: string): string {
  const hashes = (re: RegExp) => [...html.matchAll(re)].map((m) => sha256(m[1]!)).join(" ");
  const scripts = hashes(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi);
  const styles = hashes(/<style[^>]*>([\s\S]*?)<\/style>/gi);
  return [
    "default-src 'none'",
    `script-src 'self' ${scripts}`.trim(),
    `style-src 'self' ${styles}`.trim(),
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The decoded path, or undefined for a malformed percent-encoding (`/%ff`). */
function decodedPath(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return undefined;
  }
}

export function registerStatic(app: Hono, webDir: string): void {
  const root = resolve(webDir);
  const csp = new Map<string, string>(); // by index.html's ETag
  app.get("*", async (c) => {
    const path = decodedPath(c.req.url);
    if (path === undefined) {
      return c.json(
        {
          error: { code: "invalid", message: "malformed percent-encoding in path", field: "path" },
        },
        400,
      );
    }
    if (path.startsWith("/api/")) {
      return c.json({ error: { code: "not_found", message: `no API route ${path}` } }, 404);
    }
    const index = join(root, "index.html");
    if (!existsSync(index)) {
      return c.html(NOT_BUILT, 200, { "content-security-policy": NOT_BUILT_CSP });
    }
    const file = normalize(join(root, path));
    let target = index;
    if ((file === root || file.startsWith(root + sep)) && extname(file) !== "") {
      try {
        if (statSync(file).isFile()) target = file;
        else return c.text("not found", 404);
      } catch {
        return c.text("not found", 404);
      }
    }
    const immutable = target !== index && path.includes("/assets/");
    // index.html carries the whole app (web/inline-assets.ts) and is `no-cache`: a reload
    // revalidates it by size and mtime and gets a bodiless 304 while the build is unchanged.
    const st = statSync(target);
    const etag = `W/"${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`;
    const headers: Record<string, string> = {
      "content-type": TYPES[extname(target)] ?? "application/octet-stream",
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      etag,
    };
    const body = await readFile(target);
    if (target === index) {
      let policy = csp.get(etag);
      if (!policy) {
        policy = pageCsp(body.toString("utf8"));
        csp.clear(); // one build at a time
        csp.set(etag, policy);
      }
      headers["content-security-policy"] = policy;
    }
    const match = c.req.header("if-none-match");
    if (match?.split(",").some((t) => t.trim() === etag)) return c.body(null, 304, headers);
    return c.body(body, 200, headers);
  });
}
