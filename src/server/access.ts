/**
 * Keys on requests: which key a request presents, whether it may read or write, and which
 * projects it may touch. The grant of a request's key is kept per request (on Hono's context)
 * so routes can check projects once they know the run.
 */
import type { Context, MiddlewareHandler } from "hono";
import { type ApiKeys, allowsProject, type KeyGrant, keyFromBasic } from "./auth.js";
import { ApiError } from "./errors.js";

/** The only route that takes `?key=`: `EventSource` cannot send an Authorization header. */
export const STREAM_PATH = "/api/stream";

/**
 * Where a request's grant is kept: on Hono's per-request context, not on the raw Request, which
 * middleware may replace (the body limit does, for a body without Content-Length), which would
 * drop the grant and with it the key's project limit.
 */
const GRANT = "amltkKeyGrant";

/** The grant of the request's key; undefined when the request needed none (open reads, no auth). */
export function grantOf(c: Context): KeyGrant | undefined {
  return c.get(GRANT) as KeyGrant | undefined;
}

/**
 * The key a request presents: `Authorization: Bearer <key>` (scheme name in any case, as
 * RFC 9110 says), `Authorization: Basic base64(api:<key>)` (the W&B client's way), or `?key=`
 * on the live stream only, so keys stay out of URLs and logs.
 */
export function presentedKey(c: Context): string | undefined {
  const authorization = c.req.header("authorization");
  const m = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (m) return m[1];
  const basic = keyFromBasic(authorization); // the W&B client's `api:<key>`
  if (basic !== undefined) return basic;
  if (c.req.path === STREAM_PATH) return c.req.query("key") || undefined;
  return undefined;
}

/** Reads that take a body (a list of runs), so they are POSTs. */
const POST_READS = new Set(["/api/series", "/api/series/groups", "/api/keys"]);

/** A write is anything but a read; `POST /api/series` (and its kin) is a read with a body. */
export function isWrite(c: Context): boolean {
  const m = c.req.method;
  return m !== "GET" && m !== "HEAD" && !POST_READS.has(c.req.path);
}

function missingKey(c: Context): ApiError {
  const inUrl = c.req.path !== STREAM_PATH && /(^|[?&])key=amltk_/.test(new URL(c.req.url).search);
  return new ApiError(
    401,
    "unauthorized",
    inUrl
      ? `API keys in the URL are accepted only by ${STREAM_PATH}; send 'Authorization: Bearer <key>'`
      : "missing API key: send 'Authorization: Bearer <key>' (create one with `amltk keys create`)",
  );
}

/**
 * The auth middleware of `/api/*`: writes need a write key; reads need a key when
 * `readsNeedKey`. `keys` undefined means there is nowhere to check keys: keyed requests fail.
 *
 * @example
 * ```ts
 * app.use("/api/*", keyAuth(new ApiKeys(store.db), { readsNeedKey: false }));
 * ```
 */
export function keyAuth(
  keys: ApiKeys | undefined,
  o: { readsNeedKey: boolean },
): MiddlewareHandler {
  return async (c, next) => {
    const write = isWrite(c);
    if (!write && !o.readsNeedKey) return next();
    if (!keys) {
      throw new ApiError(401, "unauthorized", "this server has no key store; writes are refused");
    }
    const key = presentedKey(c);
    if (!key) throw missingKey(c);
    const grant = keys.check(key);
    if (!grant) throw new ApiError(401, "unauthorized", "invalid or revoked API key");
    if (write && grant.scope !== "write") {
      throw new ApiError(403, "forbidden", `API key ${grant.id} is read-only (scope "read")`);
    }
    c.set(GRANT, grant);
    return next();
  };
}

/** Refuses (403) when the request's key is limited to other projects than `project`. */
export function needProject(c: Context, project: string, field = "project"): void {
  const g = grantOf(c);
  if (g && !allowsProject(g, project)) {
    throw new ApiError(
      403,
      "forbidden",
      `API key ${g.id} may not touch project ${JSON.stringify(project)} (it is limited to ${g.projects!.join(", ")})`,
      field,
    );
  }
}

/**
 * For a request that names no project (a listing, a stream of every project): refused when
 * the key is limited to some projects.
 */
export function needAllProjects(c: Context, field = "project"): void {
  const g = grantOf(c);
  if (g?.projects) {
    throw new ApiError(
      403,
      "forbidden",
      `API key ${g.id} is limited to projects ${g.projects.join(", ")}: name one with ${field}`,
      field,
    );
  }
}
