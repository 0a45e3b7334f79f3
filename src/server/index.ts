/** The tracking server: HTTP API (docs/api.md), live updates, API keys, the dashboard. */
export {
  type ApiKeyInfo,
  ApiKeys,
  type KeyGrant,
  KeyOptionError,
  type KeyOptions,
  type KeyScope,
} from "./auth.js";
export {
  type AuthOptions,
  createApp,
  createServer,
  type RunningServer,
  type ServerOptions,
} from "./create-server.js";
export { ApiError } from "./errors.js";
