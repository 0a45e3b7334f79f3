/** `createServer`: the HTTP API (docs/api.md) and the dashboard over one `Store`. */
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { streamSSE } from "hono/streaming";
import { LIMITS } from "../protocol/batch.js";
import { encodeJson } from "../shared/json-numbers.js";
import { VERSION } from "../shared/version.js";
import { PostgresStore } from "../store/postgres/index.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { withReadPool } from "../store/sqlite/read-pool-store.js";
import type { Store } from "../store/types.js";
import { keyAuth, needAllProjects, needProject } from "./access.js";
import { ApiKeys } from "./auth.js";
import { ApiError, toApiError } from "./errors.js";
import { registerGroupSeriesRoute } from "./group-series.js";
import { COMMON_HEADERS, isLoopbackAddress, requestGuard } from "./guard.js";
import { makeIngestor } from "./ingest.js";
import { PostgresServerKeys } from "./postgres-keys.js";
import { apiRun, registerReadRoutes } from "./read-routes.js";
import { checkServerOptions, SERVER_DEFAULTS, type ServerOptions } from "./server-options.js";
import { defaultWebDir, registerStatic } from "./static.js";
import { registerViewRoutes, viewStorageFor } from "./view-routes.js";
import { checkpointInThread } from "./wal-checkpoints.js";
import { registerWandbRoutes } from "./wandb-protocol/index.js";
import { Watcher } from "./watcher.js";
import { registerWriteRoutes } from "./write-routes.js";

export type { AuthOptions, ServerOptions } from "./server-options.js";

/**
 * A started server, from {@link createServer}: where it listens and how to stop it.
 *
 * @example
 * ```ts
 * const server: RunningServer = await createServer({ store });
 * const health = await fetch(`${server.url}/api/health`).then((r) => r.json());
 * await server.close();
 * ```
 */
export interface RunningServer {
  url: string;
  port: number;
  host: string;
  /** Stops accepting requests, ends live streams, waits for the socket to close. */
  close(): Promise<void>;
}

/**
 * The Hono app alone (no socket), for embedding in a server of your own or calling directly.
 *
 * @example
 * ```ts
 * const { app, closeStreams } = createApp({ store, auth: false });
 * const res = await app.request("/api/runs");
 * console.log(res.status, await res.json());
 * closeStreams(); // before shutting your server down
 * ```
 */
export function createApp(opts: ServerOptions): App {
  return buildApp(opts, () => opts.port || undefined);
}

interface App {
  app: Hono;
  watcher: Watcher;
  /** Ends every open live stream (so the socket can close). */
  closeStreams: () => void;
}

/**
 * `port()`: the port the server listens on, once known (the Host check compares it). `served`:
 * the store the routes and the watcher use, when not `opts.store` itself (a read pool over it).
 */
function buildApp(opts: ServerOptions, port: () => number | undefined, served?: Store): App {
  checkServerOptions(opts);
  const store = served ?? opts.store;
  const app = new Hono();
  const watcher = new Watcher(store);
  const closers = new Set<() => void>();
  let keys: ApiKeys | undefined;
  if (opts.auth !== false) {
    keys = opts.auth?.keys;
    if (!keys && opts.store instanceof SqliteStore) keys = new ApiKeys(opts.store.db);
  }
  const readsNeedKey = opts.auth !== false && (opts.auth?.reads ?? SERVER_DEFAULTS.reads);

  app.onError((err, c) => {
    const e = toApiError(err);
    return c.body(encodeJson(e.toJSON()), e.status, { "content-type": "application/json" });
  });

  // Outermost: every answer (errors and pages included) carries the common headers.
  app.use("*", async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(COMMON_HEADERS)) c.res.headers.set(k, v);
  });
  const guard = {
    loopback: isLoopbackAddress(opts.host ?? SERVER_DEFAULTS.host),
    port,
    allowedHosts: opts.allowedHosts,
    allowedOrigins: opts.allowedOrigins,
  };
  app.use("*", async (c, next) => {
    requestGuard(c, guard);
    await next();
  });
  if (opts.auth !== false) app.use("/api/*", keyAuth(keys, { readsNeedKey }));

  app.use(
    "/api/*",
    bodyLimit({
      maxSize: LIMITS.bodyBytes,
      onError: () => {
        throw new ApiError(413, "too_large", `request body over ${LIMITS.bodyBytes} bytes`);
      },
    }),
  );

  registerReadRoutes(app, store, VERSION);
  registerGroupSeriesRoute(app, store);
  registerViewRoutes(app, viewStorageFor(opts.store));
  registerWriteRoutes(app, store, makeIngestor(store), () => watcher.changed());
  registerWandbRoutes(app, {
    store,
    keys,
    auth: opts.auth !== false,
    readsNeedKey,
    filesDir:
      opts.filesDir ??
      (opts.store instanceof SqliteStore ? join(opts.store.dir, "files") : undefined),
    changed: () => watcher.changed(),
  });

  app.get("/api/stream", (c) => {
    const project = c.req.query("project") || undefined;
    if (project === undefined) needAllProjects(c);
    else needProject(c, project);
    return streamSSE(c, async (stream) => {
      let queue = Promise.resolve();
      const send = (event: string, data: unknown) => {
        queue = queue
          .then(() => stream.writeSSE({ event, data: encodeJson(data) }))
          .catch(() => {});
      };
      const unsubscribe = watcher.subscribe({
        project,
        send: (event, data) =>
          send(
            event,
            event === "run"
              ? { ...(data as object), run: apiRun((data as { run: never }).run) }
              : data,
          ),
      });
      send("ping", {});
      const ping = setInterval(() => send("ping", {}), 15_000);
      await new Promise<void>((resolve) => {
        const done = () => {
          closers.delete(done);
          resolve();
        };
        stream.onAbort(done);
        closers.add(done);
      });
      clearInterval(ping);
      await queue;
      unsubscribe();
    });
  });
  // Any other /api path or method is a JSON 404 (not the dashboard's HTML fallback, nor
  // Hono's plain text), so API clients always get the error shape they parse.
  app.all("/api/*", (c) => {
    throw new ApiError(404, "not_found", `no API route ${c.req.method} ${c.req.path}`, "path");
  });
  registerStatic(app, opts.webDir ?? defaultWebDir());
  const closeStreams = () => {
    for (const c of closers) c();
    closers.clear();
    watcher.stop();
  };
  return { app, watcher, closeStreams };
}

/**
 * Starts the tracking server: JSON API, live updates and the dashboard.
 *
 * @example
 * ```ts
 * import { createServer, SqliteStore } from "amltk/server";
 * const store = await SqliteStore.open("./amltk-runs"); // or any Store
 * const { key } = new ApiKeys(store.db).create("ci"); // for writers (online mode)
 * const server = await createServer({ store, port: 8080 });
 * console.log(`dashboard at ${server.url}`);
 * // ...
 * await server.close();
 * ```
 */
export async function createServer(opts: ServerOptions): Promise<RunningServer> {
  checkServerOptions(opts);
  const host = opts.host ?? SERVER_DEFAULTS.host;
  let listening: number | undefined;
  const threads = opts.readThreads ?? SERVER_DEFAULTS.readThreads();
  const pooled = opts.store instanceof SqliteStore ? withReadPool(opts.store, threads) : undefined;
  // On PostgreSQL the keys live in the database (`amltk keys --store postgres://...`).
  const pgKeys =
    opts.auth !== false && !opts.auth?.keys && opts.store instanceof PostgresStore
      ? await PostgresServerKeys.open(opts.store)
      : undefined;
  const appOpts = pgKeys ? { ...opts, auth: { ...opts.auth, keys: pgKeys.keys } } : opts;
  const { app, closeStreams } = buildApp(appOpts, () => listening, pooled);
  const staleAfter = opts.staleAfterMs ?? SERVER_DEFAULTS.staleAfterMs;
  const reaper =
    staleAfter > 0
      ? setInterval(() => void opts.store.reapCrashed(staleAfter).catch(() => {}), 30_000)
      : undefined;
  reaper?.unref();
  const { server, info } = await new Promise<{
    server: ReturnType<typeof serve>;
    info: AddressInfo;
  }>((resolve, reject) => {
    const s = serve(
      { fetch: app.fetch, port: opts.port ?? SERVER_DEFAULTS.port, hostname: host },
      (info) => resolve({ server: s, info }),
    );
    s.once("error", reject);
  });
  listening = info.port;
  const checkpointer = checkpointInThread(opts.store);
  // Ingest can keep the event loop busy for seconds; with Node's 5 s keep-alive timeout an idle
  // socket whose next request already waits in the kernel gets closed under it (ECONNRESET).
  const http = server as { keepAliveTimeout?: number; headersTimeout?: number };
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${info.port}`,
    port: info.port,
    host,
    close() {
      closing ??= (async () => {
        if (reaper) clearInterval(reaper);
        closeStreams();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await pooled?.closeReads();
        await checkpointer?.stop();
        await pgKeys?.close();
        if (opts.closeStore ?? SERVER_DEFAULTS.closeStore) await opts.store.close();
      })();
      return closing;
    },
  };
}
