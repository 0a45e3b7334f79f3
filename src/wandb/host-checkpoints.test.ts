import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Scheduler } from "../scheduling/scheduler.js";
import { runningCheckpointers } from "../store/sqlite/checkpointer.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { Metric } from "../trial/metric.js";
import type { TrialReport } from "../trial/report.js";
import { Trial } from "../trial/trial.js";
import { WandbPlugin } from "./index.js";
import { logsPoints, targetFunction } from "./test-fixtures/fns.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Waits for `cond`, polling, at most `ms`: a bounded deadline, not a sleep. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Runs chained trials of `fn` on 2 processes with the plugin, one more after each report while
 * `more(reports, threads)` says so; resolves with the number of checkpoint threads running at
 * each report, once the scheduler has ended and the thread (if any) has exited.
 */
async function sweep<C extends Record<string, unknown>>(
  dir: string,
  fn: (trial: Trial<C>) => Promise<TrialReport>,
  config: C,
  more: (reports: number, threads: number) => boolean,
): Promise<number[]> {
  const before = runningCheckpointers();
  const scheduler = Scheduler.withProcesses({ maxWorkers: 2 });
  const plugin = new WandbPlugin({ project: "ckpt", mode: "offline", dir }).trialTracker();
  const task = new Trial.Task<C>(fn, scheduler, { plugins: [plugin] });
  const threads: number[] = [];
  let i = 0;
  const submitNext = () => {
    const n = i++;
    task.submit(
      new Trial({ name: `trial-${n}`, config, metrics: [new Metric("cost", { minimize: true })] }),
    );
  };
  scheduler.on("onStart", () => {
    submitNext();
    submitNext();
  });
  task.on("onReport", () => {
    threads.push(runningCheckpointers() - before);
    if (more(threads.length, threads.at(-1)!)) submitNext();
  });
  await scheduler.run();
  await until(() => runningCheckpointers() === before);
  return threads;
}

async function runStates(dir: string): Promise<string[]> {
  const store = await SqliteStore.open(dir);
  try {
    const { runs } = await store.listRuns();
    return runs.map((r) => r.state);
  } finally {
    await store.close();
  }
}

describe("the host's WAL checkpointer on a local worker pool", () => {
  it("starts no thread for a sweep whose WAL stays small", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-wandb-ckpt-"));
    dirs.push(dir);
    const threads = await sweep(dir, targetFunction, { x: 1, y: 2, z: 3 }, (n) => n <= 6);
    expect(threads).toHaveLength(8);
    expect(threads.every((n) => n === 0)).toBe(true);
    expect(await runStates(dir)).toEqual(Array(8).fill("finished"));
  });

  it("starts the thread once the WAL has grown past its start size, and stops it at the end", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-wandb-ckpt-"));
    dirs.push(dir);
    // 20,000 points a trial is ~0.5 MB of history chunks: the WAL passes 4 MiB within ~10
    // trials. Trials go on until a report finds the thread running (at most 200).
    const threads = await sweep(dir, logsPoints, { points: 20_000 }, (n, running) => {
      return running === 0 && n < 200;
    });
    expect(threads.at(-1)).toBe(1);
    expect(threads[0]).toBe(0);
    expect(await runStates(dir)).toEqual(Array(threads.length).fill("finished"));
  });
});
