import { expect, it } from "vitest";
import { MIGRATIONS, SqliteStore } from "./index.js";
import { oldDatabase, tempDirs } from "./sqlite.test-helpers.js";

const tmp = tempDirs("amltk-running-index-");

/** The index SQLite's planner picks for `sql`, from EXPLAIN QUERY PLAN's text. */
function planOf(store: SqliteStore, sql: string): string {
  const rows = store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[];
  return rows.map((r) => r.detail).join("; ");
}

/** How many entries the partial state index holds. */
function runningEntries(store: SqliteStore): number {
  return store.db
    .prepare("SELECT count(*) FROM runs INDEXED BY runs_running WHERE state = 'running'")
    .pluck()
    .get() as number;
}

it("upgrades a version-7 store: the state index holds running runs only, and is the dead-writer scan's", async () => {
  const dir = tmp();
  const old = oldDatabase(dir, 7, "finished-before");
  old
    .prepare(
      "INSERT INTO runs (id, project, name, state, created_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .run("running-before", "p", "n", "running", 6, 6);
  old.close();
  const store = SqliteStore.openSync(dir);
  try {
    expect(store.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    const indexes = store.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs'")
      .pluck()
      .all();
    expect(indexes).toContain("runs_running");
    expect(indexes).not.toContain("runs_state");
    expect(planOf(store, "SELECT id FROM runs WHERE state = 'running'")).toMatch(/runs_running/);
    expect(runningEntries(store)).toBe(1);

    // A short trial's run, inserted closed, adds no entry; a live run does until it closes.
    store.createRunSync({ id: "live", project: "p", name: "live", createdAt: 7 });
    expect(runningEntries(store)).toBe(2);
    store.writeRunSync("live", { history: [], patch: { state: "finished", exitCode: 0 } });
    expect(runningEntries(store)).toBe(1);

    // Filters on any state still answer as before, with or without the index.
    const byState = async (state: "running" | "finished") =>
      (await store.listRuns({ project: "p", state })).runs.map((r) => r.id).sort();
    expect(await byState("finished")).toEqual(["finished-before", "live"]);
    expect(
      (await store.listRuns({ state: ["finished", "running"] })).runs.map((r) => r.id).sort(),
    ).toEqual(["finished-before", "live", "running-before"]);
  } finally {
    store.closeSync();
  }
});
