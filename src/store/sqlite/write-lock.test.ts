import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { expect, it } from "vitest";
import { processHarness } from "../../track/process.test-helpers.js";
import { BUSY_TIMEOUT_MS } from "./connection.js";
import { openTrackerStore, SqliteStore } from "./index.js";

const { kids, tmp } = processHarness("amltk-write-lock-");

/**
 * A child process that takes the store's write lock (BEGIN IMMEDIATE), writes a run, says
 * "locked", and commits `holdMs` later.
 */
function lockHolder(file: string, holdMs: number) {
  const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
  const code = `
    const Database = require(${JSON.stringify(sqlite)});
    const db = new Database(${JSON.stringify(file)}, { timeout: 10000 });
    db.prepare("BEGIN IMMEDIATE").run();
    db.prepare("INSERT INTO runs (id, project, name, state, created_at, heartbeat_at) VALUES ('child', 'p', 'child', 'finished', 1, 1)").run();
    process.stdout.write("locked\\n");
    setTimeout(() => { db.prepare("COMMIT").run(); db.close(); }, ${holdMs});
  `;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  kids.push(child);
  const lines = createInterface({ input: child.stdout });
  const locked = new Promise<void>((resolve, reject) => {
    lines.on("line", (l) => l === "locked" && resolve());
    child.on("exit", (c) => reject(new Error(`lock holder exited (${c}) before locking`)));
  });
  return { child, locked };
}

/** Writes run "parent" while another process holds the write lock; the ids stored after. */
async function writeWhileLocked(dir: string, store: SqliteStore): Promise<string[]> {
  const { child, locked } = lockHolder(join(dir, "amltk.db"), 300);
  const exited = once(child, "exit");
  await locked;
  // Blocks (no "database is locked") until the child commits.
  store.createRunSync({ id: "parent", project: "p", name: "parent", createdAt: 2 });
  const [code] = await exited;
  expect(code).toBe(0);
  const { runs } = await store.listRuns({ project: "p" });
  return runs.map((r) => r.id).sort();
}

it("waits out another process's write lock, then writes", async () => {
  const dir = tmp();
  const store = SqliteStore.openSync(dir);
  expect(await writeWhileLocked(dir, store)).toEqual(["child", "parent"]);
  expect(store.db.pragma("busy_timeout", { simple: true })).toBe(BUSY_TIMEOUT_MS);
  store.closeSync();
});

it("a tracker's store waits out the lock with the busy handler left off, then writes", async () => {
  const dir = tmp();
  const store = await openTrackerStore(dir);
  // Off from the start: its writes wait for the lock by themselves (writeTx), no PRAGMA per write.
  expect(store.db.pragma("busy_timeout", { simple: true })).toBe(0);
  expect(await writeWhileLocked(dir, store)).toEqual(["child", "parent"]);
  expect(store.db.pragma("busy_timeout", { simple: true })).toBe(0);
  store.closeSync();
});

it("a write refused for another reason after waiting out the lock throws with its stack", async () => {
  const dir = tmp();
  const store = await openTrackerStore(dir);
  const { child, locked } = lockHolder(join(dir, "amltk.db"), 300);
  const exited = once(child, "exit");
  await locked;
  // The child stores "child": once its lock is gone, this retry finds the id taken.
  let caught: unknown;
  try {
    store.createRunSync({ id: "child", project: "p", name: "parent", createdAt: 2 });
  } catch (e) {
    caught = e;
  }
  await exited;
  expect((caught as { code?: string }).code).toBe("duplicate");
  // Retries run without stack traces (cheaper refusals); the error that stands gets one.
  expect((caught as Error).stack).toMatch(/\n\s+at /);
  store.closeSync();
});
