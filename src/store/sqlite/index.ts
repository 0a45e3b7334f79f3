export { MIGRATIONS } from "./db.js";
export { isPidDead, SqliteStore } from "./sqlite-store.js";
