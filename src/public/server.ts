/**
 * amltk/server — the tracking server and dashboard: `createServer`.
 *
 * @module amltk/server
 */

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
// --- server (src/server) ---
export { SqliteStore } from "../store/sqlite/index.js";
