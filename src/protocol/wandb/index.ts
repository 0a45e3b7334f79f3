/**
 * The W&B wire protocol, as both sides of it here use it: the server's W&B routes
 * (`src/server/wandb-protocol/`) and the tracker mode that logs to a W&B-protocol server
 * (`src/track/wandb-online/`). Imports only valibot and shared pieces.
 *
 * @module
 */
export * from "./config.js";
export * from "./file-stream.js";
export * from "./graphql.js";
export * from "./json.js";
export * from "./lines.js";
export * from "./run-state.js";
