/** The options of `createServer` and `createApp`, their defaults and their keys. */
import { availableParallelism } from "node:os";
import { checkOptionKeys, OptionError, optionKeys } from "../shared/options.js";
import type { Store } from "../store/types.js";
import type { ApiKeys } from "./auth.js";

/**
 * Who may use the API: by default writes need a key and reads are open.
 *
 * @example
 * ```ts
 * const auth: AuthOptions = { reads: true }; // keys for reads too
 * const server = await createServer({ store, auth });
 * ```
 */
export interface AuthOptions {
  /**
   * Require a key for reads as well; by default reads are open and writes need a key.
   * @defaultValue false
   */
  reads?: boolean;
  /**
   * Where keys are checked; default: the store's own database (`amltk keys`): a SqliteStore's
   * file, or a PostgresStore's key table (`createServer` only; `createApp` has no default there).
   */
  keys?: ApiKeys;
}

/**
 * Options of {@link createServer} and {@link createApp}; only `store` is required.
 *
 * @example
 * ```ts
 * const options: ServerOptions = {
 *   store: await SqliteStore.open("./amltk-runs"),
 *   port: 8080,
 *   host: "0.0.0.0", // reachable from other machines
 *   closeStore: true,
 * };
 * const server = await createServer(options);
 * ```
 */
export interface ServerOptions {
  store: Store;
  /**
   * The port; 0 picks a free one.
   * @defaultValue 0
   */
  port?: number;
  /**
   * The address to listen on; the default is loopback only.
   * @defaultValue "127.0.0.1"
   */
  host?: string;
  /** API keys (default: writes need a key). `false` turns auth off entirely (local development). */
  auth?: AuthOptions | false;
  /** The built dashboard; default `dist/web` next to this module. */
  webDir?: string;
  /**
   * Close the store when the server closes.
   * @defaultValue false
   */
  closeStore?: boolean;
  /**
   * Mark runs with a heartbeat older than this (ms) crashed, checked every 30 s; 0 = never.
   * @defaultValue 120000
   */
  staleAfterMs?: number;
  /**
   * Worker threads that serve a `SqliteStore`'s reads (runs, series, history, console) with
   * read-only connections of their own, so that busy writers do not slow the dashboard; they
   * start with the first reads. 0 reads on the event loop, as other stores always do
   * (PostgreSQL's own connection pool plays this part). `createApp` never starts threads.
   * The default depends on the machine: {@link defaultReadThreads}.
   * @defaultValue `defaultReadThreads()`: 2 with 4 or more cores, 1 with 3, 0 with 2 or fewer
   */
  readThreads?: number;
  /**
   * More `Host` names to accept (`"amltk.lan"` or `"amltk.lan:8080"`). A server on a loopback
   * address otherwise answers only to `localhost`, `127.x.x.x` and `[::1]` with its own port
   * (403 else), which stops DNS-rebinding pages.
   */
  allowedHosts?: string[];
  /**
   * Page origins besides the server's own (`"https://dash.example"`) whose browser requests
   * are accepted; a request with any other `Origin` is refused with 403.
   */
  allowedOrigins?: string[];
  /**
   * Where run files uploaded through the W&B routes (media, tables, `config.yaml`; W&B's
   * `CreateRunFiles`) are kept, as `<filesDir>/<run-id>/<name>`. Default: `files/` beside a
   * SqliteStore's database; a store without a folder (PostgreSQL, memory) keeps no run files
   * (uploads are refused) unless this is set.
   *
   * @example
   * ```ts
   * const server = await createServer({ store: await PostgresStore.open(url), filesDir: "/srv/amltk-files" });
   * ```
   */
  filesDir?: string;
}

/**
 * Read threads for this machine: as many as leave two cores to the event loop (which ingests
 * and answers) and the database's writer, at most 2. Measured on 2 quiet cores with 20 online
 * writers (`bench/reads-under-load.ts`): no threads answered the runs page and the live chart at
 * p99 38/42 ms, 2 threads at 50/56 ms — on a machine that small the threads take the event
 * loop's core instead of a spare one. (On 2 cores shared with other work, load 13, both missed
 * by far and the threads had shorter tails: give such a server `readThreads: 2` or more cores.)
 *
 * @example
 * ```ts
 * createServer({ store, readThreads: defaultReadThreads(os.availableParallelism()) });
 * ```
 */
export function defaultReadThreads(cores = availableParallelism()): number {
  return Math.max(0, Math.min(2, cores - 2));
}

/**
 * The defaults of {@link ServerOptions} (and `auth.reads`), the ones the server uses.
 *
 * @example
 * ```ts
 * SERVER_DEFAULTS.host; // "127.0.0.1": loopback only
 * ```
 */
export const SERVER_DEFAULTS = Object.freeze({
  port: 0,
  host: "127.0.0.1",
  closeStore: false,
  staleAfterMs: 120_000,
  /** A function: the default depends on the machine's cores. */
  readThreads: defaultReadThreads,
  reads: false,
});

const SERVER_OPTION_KEYS = optionKeys<ServerOptions>({
  store: true,
  port: true,
  host: true,
  auth: true,
  webDir: true,
  closeStore: true,
  staleAfterMs: true,
  readThreads: true,
  allowedHosts: true,
  allowedOrigins: true,
  filesDir: true,
});

const AUTH_OPTION_KEYS = optionKeys<AuthOptions>({ reads: true, keys: true });

/**
 * Refuses server options with a key they do not have (and `auth` options likewise), naming
 * the closest valid key.
 *
 * @example
 * ```ts
 * checkServerOptions({ store, prot: 8080 } as ServerOptions); // UnknownOptionError: ... "port"?
 * ```
 */
export function checkServerOptions(opts: ServerOptions): void {
  checkOptionKeys(opts, SERVER_OPTION_KEYS, "createServer");
  const t = opts.readThreads;
  if (t !== undefined && !(Number.isInteger(t) && t >= 0 && t <= 64)) {
    throw new OptionError(
      "invalid_option",
      `createServer: readThreads must be an integer from 0 to 64, got ${typeof t === "number" ? t : JSON.stringify(t)}`,
      "readThreads",
    );
  }
  if (opts.auth !== false) checkOptionKeys(opts.auth, AUTH_OPTION_KEYS, "createServer auth");
}
