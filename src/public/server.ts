/**
 * amltk/server — the tracking server and dashboard: `createServer`, API keys, and the stores it
 * serves: the embedded SQLite store, and PostgreSQL for a team server.
 *
 * Every export is listed by name (`docs/api-report/amltk-server.md` shows them).
 *
 * @module amltk/server
 */

// --- server (src/server) ---
export {
  ApiError,
  type ApiKeyInfo,
  ApiKeys,
  type AuthOptions,
  createApp,
  createServer,
  type KeyGrant,
  KeyOptionError,
  type KeyOptions,
  type KeyScope,
  type RunningServer,
  type ServerOptions,
} from "../server/index.js";
export { StoreWithoutTransactionError } from "../server/ingest.js";
export { PostgresKeyAdmin, PostgresServerKeys } from "../server/postgres-keys.js";
export { SERVER_DEFAULTS } from "../server/server-options.js";
// --- store (src/store) ---
export { isPostgresUrl, openStore } from "../store/open-store.js";
export {
  POSTGRES_STORE_DEFAULTS,
  PostgresStore,
  type PostgresStoreOptions,
  StoreSchemaTooNewError,
} from "../store/postgres/index.js";
export { SqliteStore } from "../store/sqlite/index.js";
