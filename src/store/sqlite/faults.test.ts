/** The SQLite store's error paths with real faults: SQLITE_FULL via `max_page_count`, and writes refused. */
import { existsSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { rowsToBatch } from "../history-batch.js";
import { StoreFullError } from "../store-full-error.js";
import { StoreError } from "../types.js";
import { SqliteStore } from "./index.js";
import { reservePath } from "./reserve.js";
import { tempDirs } from "./sqlite.test-helpers.js";

const tmp = tempDirs("amltk-faults-");

function batch(from: number, n: number) {
  return rowsToBatch(
    Array.from({ length: n }, (_, i) => ({
      step: from + i,
      runtime: i,
      timestamp: 1_700_000_000 + i,
      values: { loss: from + i },
    })),
  );
}

/** A store whose connection cannot add a page from now on. */
function fullStore(dir: string): SqliteStore {
  const store = SqliteStore.openSync(dir);
  store.createRunSync({ id: "r", project: "p", name: "r", createdAt: 1 });
  store.appendHistoryBatchSync("r", batch(0, 100));
  const pages = store.db.pragma("page_count", { simple: true }) as number;
  store.db.pragma(`max_page_count = ${pages}`);
  return store;
}

it("a write that needs space it cannot get is a StoreFullError naming the file; nothing stored goes", async () => {
  const dir = tmp();
  const store = fullStore(dir);
  let err: unknown;
  try {
    store.appendHistoryBatchSync("r", batch(100, 50_000));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StoreFullError);
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreFullError).path).toBe(join(dir, "amltk.db"));
  expect((err as Error).message).toMatch(/amltk\.db is full/);
  const steps = (await store.readPoints({ runId: "r", key: "loss" })).map((p) => p.step);
  expect(steps).toEqual([...Array(100).keys()]);
  store.closeSync();
});

it("keeps 1 MiB in reserve and spends it only on a write that closes a run", () => {
  const dir = tmp();
  const store = fullStore(dir);
  expect(statSync(reservePath(dir)).size).toBe(1024 * 1024);
  const big = { notes: "x".repeat(100_000) };
  // Not closing the run: the reserve stays.
  expect(() => store.updateRunSync("r", big)).toThrow(StoreFullError);
  expect(existsSync(reservePath(dir))).toBe(true);
  // Closing it: the reserve is freed and the write tried once more (here the page limit, not
  // the disk, is what is full, so it fails again, typed).
  expect(() => store.updateRunSync("r", { ...big, state: "failed" })).toThrow(StoreFullError);
  expect(existsSync(reservePath(dir))).toBe(false);
  // The fixed-size close fits in place.
  store.updateRunSync("r", { state: "failed", exitCode: StoreFullError.EXIT_CODE });
  expect(store.getRunSync("r")).toMatchObject({ state: "failed", exitCode: 74 });
  store.closeSync();
  // The next open that can write puts it back.
  SqliteStore.openSync(dir).closeSync();
  expect(statSync(reservePath(dir)).size).toBe(1024 * 1024);
});

it("reads do not need writes: crash marking that cannot write is skipped", async () => {
  const dir = tmp();
  const store = SqliteStore.openSync(dir);
  // pid 2^22+1 is above Linux's pid_max: certainly not running.
  store.createRunSync({
    id: "gone",
    project: "p",
    name: "g",
    createdAt: 1,
    pid: 4_194_305,
    host: hostname(),
  });
  store.db.pragma("query_only = ON"); // the connection refuses every write
  expect(() => store.updateRunSync("gone", { notes: "n" })).toThrow(
    expect.objectContaining({ code: "readonly" }),
  );
  expect((await store.listRuns()).runs.map((r) => [r.id, r.state])).toEqual([["gone", "running"]]);
  expect((await store.getRun("gone"))?.state).toBe("running");
  expect(await store.listProjects()).toHaveLength(1);
  expect(await store.reapCrashed()).toEqual([]);
  store.db.pragma("query_only = OFF");
  expect(await store.reapCrashed()).toEqual(["gone"]);
  store.closeSync();
});
