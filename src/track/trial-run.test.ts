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

/** A child that opened a trial run and logged 5 points, none written yet; ended by `signal`. */
async function killBeforeFirstWrite(signal: NodeJS.Signals, id: string): Promise<string> {
  const dir = tmp();
  const fixture = join(import.meta.dirname, "test-fixtures", "trial-run-child.ts");
  const p = spawn(process.execPath, ["--import", "tsx", fixture, dir, id], {
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
  p.kill(signal);
  expect(await ended).toBe(signal);
  return dir;
}

it.each([
  ["SIGTERM", 143],
  ["SIGINT", 130],
] as const)(
  "%s before the first write: the exit path stores the row with every point, failed %i",
  async (signal, code) => {
    const dir = await killBeforeFirstWrite(signal, "t1");
    const store = reader(dir);
    expect(store.getRunSync("t1")).toMatchObject({ state: "failed", exitCode: code, nextStep: 5 });
    const points = await store.readPoints({ runId: "t1", key: "x" });
    expect(points.map((q) => q.value)).toEqual([0, 1, 2, 3, 4]);
  },
);

it("SIGKILL before the first write: nothing of the run is stored (its host records it crashed)", async () => {
  // The points were only in memory, as they are for any run before its first flush; the row
  // that used to come from init is now written by the worker pool's host when the worker dies
  // (src/wandb/lifecycle.test.ts counts that record).
  const dir = await killBeforeFirstWrite("SIGKILL", "t2");
  const store = reader(dir);
  expect(store.getRunSync("t2")).toBeUndefined();
});
