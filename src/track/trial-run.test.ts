/**
 * `initTrialRun`: a run whose row is stored by its first write (one commit for a trial-sized
 * run instead of two), and that stays as durable as `init`'s runs otherwise: a flush, `finish`
 * and the exit path of a signal each store the row with what was logged.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect, it, vi } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { initTrialRun } from "./init.js";
import { processHarness } from "./process.test-helpers.js";

const { kids, cleanups, tmp } = processHarness("amltk-trial-run-");

/** A second connection to the store in `dir`, closed after the test. */
function reader(dir: string): SqliteStore {
  const store = SqliteStore.openSync(dir);
  cleanups.push(() => store.closeSync());
  return store;
}

const rowCount = (store: SqliteStore, id: string) =>
  (store.db.prepare("SELECT count(*) AS n FROM runs WHERE id = ?").get(id) as { n: number }).n;

it("stores the row with the run's finish: absent after init, then one commit with everything", async () => {
  const dir = tmp();
  const run = await initTrialRun({ dir, project: "p", config: { lr: 0.1 }, systemInterval: 0 });
  const store = reader(dir);
  expect(rowCount(store, run.id)).toBe(0);
  for (let i = 0; i < 10; i++) run.log({ loss: i });
  run.summary.cost = 2;
  await run.finish();
  expect(store.getRunSync(run.id)).toMatchObject({
    state: "finished",
    exitCode: 0,
    nextStep: 10,
    config: { lr: 0.1 },
    pid: process.pid,
  });
  expect(store.getRunSync(run.id)!.summary).toMatchObject({ loss: 9, cost: 2 });
  const points = await store.readPoints({ runId: run.id, key: "loss" });
  expect(points.map((p) => p.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

it("a flush stores the row while the run is open, even with nothing logged", async () => {
  const dir = tmp();
  const run = await initTrialRun({ dir, project: "p", systemInterval: 0 });
  const store = reader(dir);
  await run.flush();
  expect(store.getRunSync(run.id)).toMatchObject({ state: "running", nextStep: 0 });
  run.log({ x: 1 });
  await run.finish();
  expect(store.getRunSync(run.id)).toMatchObject({ state: "finished", nextStep: 1 });
});

it("when the write carrying the row fails, the row is stored on its own and nothing is lost", async () => {
  const dir = tmp();
  const run = await initTrialRun({ dir, project: "p", systemInterval: 0 });
  const own = (run as unknown as { sink: { store: SqliteStore } }).sink.store;
  const once = vi.spyOn(own, "writeRunSync").mockImplementation(() => {
    throw new Error("disk says no");
  });
  try {
    for (let i = 0; i < 3; i++) run.log({ loss: i });
    await run.finish(1);
  } finally {
    once.mockRestore();
  }
  const store = reader(dir);
  expect(store.getRunSync(run.id)).toMatchObject({ state: "failed", exitCode: 1, nextStep: 3 });
  const points = await store.readPoints({ runId: run.id, key: "loss" });
  expect(points.map((p) => p.value)).toEqual([0, 1, 2]);
});

it("bad options still fail at init, naming the value", async () => {
  await expect(initTrialRun({ dir: tmp(), project: "" })).rejects.toThrow(/project/);
});

it("SIGTERM before the first write: the exit path stores the row with every point, failed 143", async () => {
  const dir = tmp();
  const fixture = join(import.meta.dirname, "test-fixtures", "trial-run-child.ts");
  const p = spawn(process.execPath, ["--import", "tsx", fixture, dir, "t1"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  kids.push(p);
  await new Promise<void>((resolve, reject) => {
    let out = "";
    p.stdout!.on("data", (b) => {
      out += b;
      if (out.includes("ready")) resolve();
    });
    p.once("exit", () => reject(new Error(`child exited before it was ready: ${out}`)));
  });
  const ended = new Promise<string | null>((resolve) => p.once("exit", (_c, s) => resolve(s)));
  p.kill("SIGTERM");
  expect(await ended).toBe("SIGTERM");
  const store = reader(dir);
  expect(store.getRunSync("t1")).toMatchObject({ state: "failed", exitCode: 143, nextStep: 5 });
  const points = await store.readPoints({ runId: "t1", key: "x" });
  expect(points.map((q) => q.value)).toEqual([0, 1, 2, 3, 4]);
});
