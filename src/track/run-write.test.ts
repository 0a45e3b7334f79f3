/**
 * How a run's flush and finish reach a store that can write them in one transaction
 * (`writeRunSync`), and that nothing is lost when that write fails.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it, vi } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { init } from "./init.js";

const stores: SqliteStore[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const s of stores) s.closeSync();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function open(): SqliteStore {
  const d = mkdtempSync(join(tmpdir(), "amltk-run-write-"));
  dirs.push(d);
  const s = SqliteStore.openSync(d);
  stores.push(s);
  return s;
}

async function logged(store: SqliteStore) {
  const run = await init({ store, project: "p", systemInterval: 0, reinit: "create_new" });
  for (let i = 0; i < 10; i++) run.log({ loss: i });
  run.log({ status: "success" });
  run.summary.cost = 5;
  return run;
}

it("finish writes history, summary and state in one store call", async () => {
  const store = open();
  const once = vi.spyOn(store, "writeRunSync");
  const update = vi.spyOn(store, "updateRun");
  const append = vi.spyOn(store, "appendHistoryBatch");
  const run = await logged(store);
  await run.finish();
  expect(once).toHaveBeenCalledTimes(1);
  expect(update).not.toHaveBeenCalled();
  expect(append).not.toHaveBeenCalled();
  const rec = await store.getRun(run.id);
  expect(rec).toMatchObject({ state: "finished", exitCode: 0, nextStep: 11 });
  expect(rec!.summary).toMatchObject({ loss: 9, status: "success", cost: 5 });
});

it("when the one-call write fails, finish writes the parts separately and loses nothing", async () => {
  const store = open();
  vi.spyOn(store, "writeRunSync").mockImplementation(() => {
    throw new Error("disk says no");
  });
  const run = await logged(store);
  await run.finish(1);
  const rec = await store.getRun(run.id);
  expect(rec).toMatchObject({ state: "failed", exitCode: 1, nextStep: 11 });
  expect(rec!.summary).toMatchObject({ loss: 9, cost: 5 });
  const points = await store.readPoints({ runId: run.id, key: "loss" });
  expect(points.map((p) => p.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

it("a flush during the run goes through the same one-call write", async () => {
  const store = open();
  const once = vi.spyOn(store, "writeRunSync");
  const run = await logged(store);
  await run.flush();
  expect(once).toHaveBeenCalledTimes(1);
  expect(await store.getRun(run.id)).toMatchObject({ state: "running", nextStep: 11 });
  expect((await store.getRun(run.id))!.summary).toMatchObject({ cost: 5 });
  await run.finish();
  expect(once).toHaveBeenCalledTimes(2);
});

it("finish leaves a config init wrote alone, and writes one that changed", async () => {
  const store = open();
  const once = vi.spyOn(store, "writeRunSync");
  const config = { lr: 0.1, layers: [64, 32] };
  const kept = await init({ store, project: "p", config, systemInterval: 0, reinit: "create_new" });
  await kept.finish();
  expect(once.mock.calls.at(-1)?.[1].patch).not.toHaveProperty("config");
  expect((await store.getRun(kept.id))?.config).toEqual(config);

  const changed = await init({
    store,
    project: "p",
    config,
    systemInterval: 0,
    reinit: "create_new",
  });
  changed.config.update({ batch: 32 });
  await changed.flush();
  await changed.finish();
  // Once changed, every later patch carries the config (a failed flush must not lose it).
  expect(once.mock.calls.at(-1)?.[1].patch?.config).toEqual({ ...config, batch: 32 });
  expect((await store.getRun(changed.id))?.config).toEqual({ ...config, batch: 32 });
});
