/**
 * Scheduler throughput: trivial calls per second on each executor with 2 workers, chained
 * (one call in flight per worker, the next submitted from onResult, like the seed's
 * onReport pattern) and in bulk (all submitted at start).
 *
 * The rate is steady-state: counted from the moment every worker has returned its first
 * result (workers started, modules imported) to the last result; `startupMs` is the time
 * before that. Each figure is the median of `REPS` runs.
 *
 * Run: `npx tsx bench/scheduler.ts [N] [setup]`; prints JSON. `setup` picks the setups
 * whose name contains it (sequential, threads, processes).
 */
import { pathToFileURL } from "node:url";
import { importable } from "../src/scheduling/executors/executor.js";
import { Scheduler } from "../src/scheduling/scheduler.js";

export const noop = importable((i: number) => i + 1, import.meta.url, "noop");

const REPS = 3;

async function measure(
  make: () => Scheduler,
  workers: number,
  n: number,
  mode: "chained" | "bulk",
): Promise<{ perSec: number; startupMs: number }> {
  const scheduler = make();
  const task = scheduler.task(noop);
  let submitted = 0;
  let done = 0;
  const submit = () => {
    if (submitted < n) {
      submitted++;
      task.submit(submitted);
    }
  };
  let start = 0;
  let warm = 0;
  scheduler.on("onStart", () => {
    start = performance.now();
    const first = mode === "bulk" ? n : workers;
    for (let i = 0; i < first; i++) submit();
  });
  task.on("onResult", () => {
    done++;
    if (done === workers) warm = performance.now();
    if (mode === "chained") submit();
  });
  await scheduler.run();
  const end = performance.now();
  if (done !== n) throw new Error(`expected ${n} results, got ${done}`);
  return {
    perSec: Math.round((n - workers) / ((end - warm) / 1000)),
    startupMs: Math.round(warm - start),
  };
}

async function median(run: () => Promise<{ perSec: number; startupMs: number }>) {
  const all = [];
  for (let i = 0; i < REPS; i++) all.push(await run());
  all.sort((a, b) => a.perSec - b.perSec);
  return all[Math.floor(all.length / 2)] as { perSec: number; startupMs: number };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const n = Number(process.argv[2] ?? 20000);
  const setups: [string, () => Scheduler, number][] = [
    ["sequential", () => Scheduler.withSequential(), 1],
    ["threads x2", () => Scheduler.withThreads({ maxWorkers: 2 }), 2],
    ["processes x2", () => Scheduler.withProcesses({ maxWorkers: 2 }), 2],
  ];
  const only = process.argv[3];
  const results: Record<string, Record<string, number>> = {};
  for (const [name, make, workers] of setups) {
    if (only && !name.includes(only)) continue;
    const chained = await median(() => measure(make, workers, n, "chained"));
    const bulk = await median(() => measure(make, workers, n, "bulk"));
    results[name] = {
      chainedPerSec: chained.perSec,
      bulkPerSec: bulk.perSec,
      startupMs: Math.max(chained.startupMs, bulk.startupMs),
    };
  }
  console.log(JSON.stringify({ n, reps: REPS, node: process.version, results }, null, 2));
}
