export { MIGRATIONS } from "./migrations.js";
export { isPidDead, SqliteStore } from "./sqlite-store.js";
export { openTrackerStore } from "./tracker-store.js";
