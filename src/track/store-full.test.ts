/**
 * A tracked run on a full store, with a real SQLITE_FULL: `PRAGMA max_page_count` caps the
 * writer's connection (it is per connection), so the database cannot grow past what it holds.
 */
import { join } from "node:path";
import { afterEach, expect, it, vi } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { tempDirs } from "../store/sqlite/sqlite.test-helpers.js";
import { StoreFullError } from "../store/store-full-error.js";
import { init } from "./init.js";
import type { Run } from "./run.js";

const tmp = tempDirs("amltk-full-");
const open: SqliteStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.closeSync();
  vi.restoreAllMocks();
});

function openStore(dir: string): SqliteStore {
  const s = SqliteStore.openSync(dir);
  open.push(s);
  return s;
}

/** From now on the store's connection cannot add a page to the database file. */
function fill(store: SqliteStore): void {
  const pages = store.db.pragma("page_count", { simple: true }) as number;
  store.db.pragma(`max_page_count = ${pages}`);
}

/** Logs rows `from`..`to`-1 with two numeric keys each (2 points per row). */
function logRows(run: Run, from: number, to: number): void {
  for (let i = from; i < to; i++) run.log({ loss: i, acc: -i });
}

async function startRun(store: SqliteStore, maxBufferedBytes?: number): Promise<Run> {
  return init({
    project: "full",
    store,
    systemInterval: 0,
    reinit: "create_new",
    maxBufferedBytes,
  });
}

/** Steps stored for `key`, read through a fresh connection without a page limit. */
async function storedSteps(dir: string, id: string, key: string): Promise<number[]> {
  const reader = openStore(dir);
  return (await reader.readPoints({ runId: id, key })).map((p) => p.step);
}

const range = (n: number) => [...Array(n).keys()];

it("a full store: one typed warning, finish rejects typed, the record says failed, nothing stored is lost", async () => {
  const dir = tmp();
  const store = openStore(dir);
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  const run = await startRun(store, 64 * 1024);
  logRows(run, 0, 1000);
  await run.flush();
  fill(store);
  // Many buffer fills, each one a flush the store refuses.
  logRows(run, 1000, 60_000);
  await run.flush();
  await run.flush();

  const err = await run.finish().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreFullError);
  const full = err as StoreFullError;
  expect(full.code).toBe("full");
  expect(full.path).toBe(join(dir, "amltk.db"));
  expect(full.message).toContain(join(dir, "amltk.db"));
  expect(full.pointsNotStored).toBeGreaterThan(0);
  expect(full.message).toContain(`${full.pointsNotStored} logged points were not stored`);

  // Reported once, naming the store, however many flushes failed.
  expect(warn).toHaveBeenCalledTimes(1);
  expect(String(warn.mock.calls[0]![0])).toContain(join(dir, "amltk.db"));

  // The record says why (written in place on the full store), and reads work.
  const reader = openStore(dir);
  fill(reader);
  const rec = await reader.getRun(run.id);
  expect(rec).toMatchObject({ state: "failed", exitCode: StoreFullError.EXIT_CODE });
  expect(rec!.finishedAt).not.toBeNull();
  expect((await reader.listRuns({ project: "full" })).total).toBe(1);

  // Every point stored before the disk filled is there, and what is stored has no gap: the
  // steps are 0..n-1 for both keys, and stored + not stored = logged.
  const loss = await storedSteps(dir, run.id, "loss");
  const acc = await storedSteps(dir, run.id, "acc");
  expect(loss.length).toBeGreaterThanOrEqual(1000);
  expect(loss).toEqual(range(loss.length));
  expect(acc).toEqual(range(acc.length));
  expect(loss.length + acc.length + full.pointsNotStored).toBe(2 * 60_000);
});

it("batches that failed on a full store are written once space comes back", async () => {
  const dir = tmp();
  const store = openStore(dir);
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  // Held batches may reach 16 x 64 KiB: all of the ~5,000 rows below.
  const run = await startRun(store, 64 * 1024);
  logRows(run, 0, 100);
  await run.flush();
  fill(store);
  logRows(run, 100, 5_000);
  await run.flush();
  expect(warn).toHaveBeenCalledTimes(1);
  expect(String(warn.mock.calls[0]![0])).toMatch(/is full/);
  expect(run.flushedStep).toBeLessThan(4_999);
  // Space again: the held batches go first, in order, then the rest.
  store.db.pragma("max_page_count = 1073741823");
  logRows(run, 5_000, 6_000);
  await run.finish();
  expect((await openStore(dir).getRun(run.id))?.state).toBe("finished");
  expect(await storedSteps(dir, run.id, "loss")).toEqual(range(6_000));
  expect(await storedSteps(dir, run.id, "acc")).toEqual(range(6_000));
});

it("finish rejects typed when only the final summary does not fit, and still closes the run", async () => {
  const dir = tmp();
  const store = openStore(dir);
  vi.spyOn(console, "warn").mockImplementation(() => {});
  const run = await startRun(store);
  run.log({ loss: 1 });
  await run.flush();
  fill(store);
  // A summary far larger than a page: the final write needs new pages, the history none.
  run.summary.notes = "x".repeat(200_000);
  const err = await run.finish().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StoreFullError);
  expect((err as StoreFullError).pointsNotStored).toBe(0);
  const rec = await openStore(dir).getRun(run.id);
  expect(rec).toMatchObject({ state: "failed", exitCode: StoreFullError.EXIT_CODE, nextStep: 1 });
});

it("many small flushes on a full store are held as one batch and written in order later", async () => {
  const dir = tmp();
  const store = openStore(dir);
  vi.spyOn(console, "warn").mockImplementation(() => {});
  const run = await startRun(store);
  logRows(run, 0, 100);
  await run.flush();
  fill(store);
  for (let i = 0; i < 50; i++) {
    logRows(run, 100 + 10 * i, 110 + 10 * i);
    run.log({ note: `flush ${i}` }); // a non-numeric value too
    await run.flush();
  }
  store.db.pragma("max_page_count = 1073741823");
  await run.finish();
  const loss = await storedSteps(dir, run.id, "loss");
  expect(loss.length).toBe(600);
  expect(loss).toEqual([...loss].sort((a, b) => a - b));
  const notes = (await openStore(dir).readPoints({ runId: run.id, key: "note" })).map(
    (p) => p.value,
  );
  expect(notes).toEqual(Array.from({ length: 50 }, (_, i) => `flush ${i}`));
});
