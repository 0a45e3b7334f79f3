/**
 * amltk/server — the tracking server and dashboard: `createServer`, API keys, and the embedded
 * SQLite store it serves.
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
export { SERVER_DEFAULTS } from "../server/server-options.js";
// --- store (src/store) ---
export { SqliteStore } from "../store/sqlite/index.js";
