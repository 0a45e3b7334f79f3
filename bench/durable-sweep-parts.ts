/**
 * Trial functions of bench/durable-sweep.ts, importable by worker processes: `trivial` (two
 * floats in, one loss out) and `sleepy` (waits `AMLTK_BENCH_TRIAL_MS`, appends its pid to
 * `AMLTK_BENCH_PIDS` first, so the bench can kill the worker that runs it).
 */
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { importable } from "../src/scheduling/executors/executor.js";
import type { TrialReport } from "../src/trial/report.js";
import type { Trial } from "../src/trial/trial.js";

function loss(trial: Trial): number {
  const x = trial.config.x as number;
  const y = trial.config.y as number;
  return x * x + y * y;
}

export const trivial = importable(
  (trial: Trial): TrialReport => trial.success({ loss: loss(trial) }),
  import.meta.url,
  "trivial",
);

export const sleepy = importable(
  async (trial: Trial): Promise<TrialReport> => {
    const pids = process.env.AMLTK_BENCH_PIDS;
    if (pids) appendFileSync(pids, `${process.pid}\n`);
    await sleep(Number(process.env.AMLTK_BENCH_TRIAL_MS ?? 50));
    return trial.success({ loss: loss(trial) });
  },
  import.meta.url,
  "sleepy",
);
