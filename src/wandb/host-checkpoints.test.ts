import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Scheduler } from "../scheduling/scheduler.js";
import { runningCheckpointers } from "../store/sqlite/checkpointer.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { Metric } from "../trial/metric.js";
import { Trial } from "../trial/trial.js";
import { WandbPlugin } from "./index.js";
import { targetFunction } from "./test-fixtures/fns.js";

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

describe("the host's WAL checkpointer on a local worker pool", () => {
  it("runs while the scheduler runs trials and is gone when it ends", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-wandb-ckpt-"));
    dirs.push(dir);
    const before = runningCheckpointers();
    const scheduler = Scheduler.withProcesses({ maxWorkers: 2 });
    const plugin = new WandbPlugin({ project: "ckpt", mode: "offline", dir }).trialTracker();
    const task = new Trial.Task<{ x: number; y: number; z: number }>(targetFunction, scheduler, {
      plugins: [plugin],
    });
    const running: number[] = [];
    let i = 0;
    const submitNext = () => {
      if (i >= 6) return;
      const n = i++;
      task.submit(
        new Trial({
          name: `trial-${n}`,
          config: { x: n, y: 2, z: 3 },
          metrics: [new Metric("cost", { minimize: true })],
        }),
      );
    };
    scheduler.on("onStart", () => {
      submitNext();
      submitNext();
    });
    task.on("onReport", () => {
      running.push(runningCheckpointers() - before);
      submitNext();
    });
    await scheduler.run();
    expect(running).toHaveLength(6);
    expect(running.every((n) => n === 1)).toBe(true);
    await until(() => runningCheckpointers() === before);
    const store = await SqliteStore.open(dir);
    try {
      const { runs } = await store.listRuns();
      expect(runs.map((r) => r.state).sort()).toEqual(Array(6).fill("finished"));
    } finally {
      await store.close();
    }
  });
});
