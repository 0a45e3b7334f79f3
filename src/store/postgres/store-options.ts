/** Options of `PostgresStore.open`: what they are, their defaults, and their checks. */
import { checkOptionKeys, optionKeys } from "../../shared/options.js";
import { StoreError } from "../types.js";

/**
 * Options of {@link PostgresStore.open}.
 *
 * @example
 * ```ts
 * const opts: PostgresStoreOptions = { maxConnections: 20, retryForMs: 30_000 };
 * const store = await PostgresStore.open("postgres://amltk@db/amltk", opts);
 * ```
 */
export interface PostgresStoreOptions {
  /**
   * Connections the store's pool may hold at most (one more for live-update LISTEN). Requests
   * beyond it wait for a free connection; the pool never grows past it.
   * @defaultValue 10
   */
  maxConnections?: number;
  /**
   * Connections of a second pool that serves only reads (runs pages, charts, history), so a
   * read never waits for a connection that a burst of ingest transactions holds. Beside
   * `maxConnections`: the store holds at most `maxConnections + readConnections + 1`.
   * @defaultValue 4
   */
  readConnections?: number;
  /**
   * How long a write (a transaction) and a read keep retrying after a transient failure (lost
   * connection, database restarting, deadlock, serialization failure) before failing with
   * `StoreError("busy")` (a 503 from the server).
   * @defaultValue 15000
   */
  retryForMs?: number;
  /**
   * `application_name` of the connections (shown in `pg_stat_activity`).
   * @defaultValue "amltk"
   */
  applicationName?: string;
}

/**
 * The defaults of {@link PostgresStoreOptions}.
 *
 * @example
 * ```ts
 * const store = await PostgresStore.open(url, { maxConnections: POSTGRES_STORE_DEFAULTS.maxConnections * 2 });
 * ```
 */
export const POSTGRES_STORE_DEFAULTS: Readonly<Required<PostgresStoreOptions>> = Object.freeze({
  maxConnections: 10,
  readConnections: 4,
  retryForMs: 15_000,
  applicationName: "amltk",
});

const OPTION_KEYS = optionKeys<PostgresStoreOptions>({
  maxConnections: true,
  readConnections: true,
  retryForMs: true,
  applicationName: true,
});

export function checkOptions(o: PostgresStoreOptions): Required<PostgresStoreOptions> {
  checkOptionKeys(o, OPTION_KEYS, "PostgresStore.open");
  const out = { ...POSTGRES_STORE_DEFAULTS, ...o };
  for (const name of ["maxConnections", "readConnections"] as const) {
    if (!Number.isInteger(out[name]) || out[name] < 1) {
      throw new StoreError(
        `PostgresStore.open: ${name} must be a whole number >= 1, got ${JSON.stringify(o[name])}`,
        "invalid",
      );
    }
  }
  if (typeof out.retryForMs !== "number" || !(out.retryForMs >= 0)) {
    throw new StoreError(
      `PostgresStore.open: retryForMs must be a number >= 0, got ${JSON.stringify(o.retryForMs)}`,
      "invalid",
    );
  }
  return out;
}
