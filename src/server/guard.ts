/**
 * Who may talk to the server at all, before any key is looked at: the checks that stop a web
 * page in the user's browser from using a server on 127.0.0.1.
 *
 * - Host: a loopback server answers only to loopback names (`localhost`, `127.x.x.x`, `[::1]`)
 *   with its own port, plus names the user allowed. A DNS-rebinding page reaches the server
 *   under its own name (`evil.example:8080`), so the Host header tells it apart.
 * - Origin: when a browser says which page sent a request, that page must be this server
 *   (same origin) or one the user allowed. This stops cross-site writes, which matter most
 *   with `--no-auth`.
 * - Content-Type: a request with a body must say `application/json`. A cross-site form or a
 *   `no-cors` fetch can only send text/plain, form or multipart bodies without a CORS
 *   preflight, so this closes the door even when Origin is absent.
 */
import type { Context } from "hono";
import { ApiError } from "./errors.js";

/**
 * Options of {@link requestGuard}.
 *
 * @example
 * ```ts
 * const g: GuardOptions = { loopback: true, port: () => 8080, allowedHosts: ["amltk.lan"] };
 * ```
 */
export interface GuardOptions {
  /** The server listens on a loopback address: enforce the Host check. */
  loopback: boolean;
  /** The port the server listens on (unknown before it listens, or for an embedded app). */
  port: () => number | undefined;
  /** More Host names (with or without `:port`) to accept. */
  allowedHosts?: readonly string[];
  /** More page origins (`https://dash.example`) whose requests are accepted. */
  allowedOrigins?: readonly string[];
}

const LOOPBACK_NAME = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** True for an address the server can be bound to that only this machine reaches. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** `name` and optional port of a Host header value; undefined when it is not one. */
function splitHost(value: string): { name: string; port?: number } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase(), port: m[2] === undefined ? undefined : Number(m[2]) };
}

function hostAllowed(o: GuardOptions, header: string | undefined): boolean {
  if (!header) return false;
  const h = splitHost(header);
  if (!h) return false;
  const extra = (o.allowedHosts ?? []).map((a) => a.toLowerCase());
  if (extra.includes(header.toLowerCase()) || extra.includes(h.name)) return true;
  if (!LOOPBACK_NAME.test(h.name)) return false;
  const port = o.port();
  // Port 80 may be left out of the header; any other port must be the server's own.
  return port === undefined || (h.port ?? 80) === port;
}

function originAllowed(o: GuardOptions, origin: string, host: string | undefined): boolean {
  if ((o.allowedOrigins ?? []).includes(origin)) return true;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file://) and garbage are never same-origin
  }
  return (u.protocol === "http:" || u.protocol === "https:") && u.host === host?.toLowerCase();
}

/** True for `application/json` with any parameters (`; charset=utf-8`). */
function isJson(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

/**
 * The Host/Origin/Content-Type checks of one request; throws a 403 or 415 {@link ApiError}
 * naming the refused header.
 *
 * @example
 * ```ts
 * app.use("*", async (c, next) => {
 *   requestGuard(c, { loopback: true, port: () => 8080 });
 *   await next();
 * });
 * ```
 */
export function requestGuard(c: Context, o: GuardOptions): void {
  // An embedded app called without a socket (`app.request(path)`) has no Host header: its URL's.
  const host = c.req.header("host") ?? new URL(c.req.url).host;
  if ((o.loopback || o.allowedHosts?.length) && !hostAllowed(o, host)) {
    throw new ApiError(
      403,
      "forbidden",
      `Host ${JSON.stringify(host ?? "")} is not this server's; allow it with --allow-host`,
      "host",
    );
  }
  const origin = c.req.header("origin");
  if (origin !== undefined && !originAllowed(o, origin, host)) {
    throw new ApiError(
      403,
      "forbidden",
      `requests from page origin ${JSON.stringify(origin)} are refused; allow it with --allow-origin`,
      "origin",
    );
  }
  const m = c.req.method;
  if (c.req.path.startsWith("/api/") && m !== "GET" && m !== "HEAD" && m !== "OPTIONS") {
    const type = c.req.header("content-type");
    if (!isJson(type)) {
      throw new ApiError(
        415,
        "unsupported_media_type",
        `Content-Type must be application/json, got ${JSON.stringify(type ?? "")}`,
        "content-type",
      );
    }
  }
}

/**
 * Headers of every answer: no MIME sniffing, no framing by other sites, no referrer leaking
 * run ids. Pages add a Content-Security-Policy (static.ts).
 */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};
