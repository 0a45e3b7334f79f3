/**
 * Scheduler throughput: trivial calls per second on each executor, chained (one in flight
 * per worker, the next submitted from onResult) and in bulk (all submitted at start).
 *
 * Run: `npx tsx bench/scheduler.ts [N] [setup]`; prints JSON. `setup` picks the setups
 * whose name contains it (sequential, threads, processes).
 */
import { pathToFileURL } from "node:url";
import { importable } from "../src/scheduling/executors/executor.js";
import { Scheduler } from "../src/scheduling/scheduler.js";

export const noop = importable((i: number) => i + 1, import.meta.url, "noop");

async function measure(
  make: () => Scheduler,
  workers: number,
  n: number,
  mode: "chained" | "bulk",
): Promise<number> {
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
  let t0 = 0;
  scheduler.on("onStart", () => {
    t0 = performance.now();
    const first = mode === "bulk" ? n : workers;
    for (let i = 0; i < first; i++) submit();
  });
  task.on("onResult", () => {
    done++;
    if (mode === "chained") submit();
  });
  await scheduler.run();
  const secs = (performance.now() - t0) / 1000;
  if (done !== n) throw new Error(`expected ${n} results, got ${done}`);
  return Math.round(n / secs);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const n = Number(process.argv[2] ?? 2000);
  const setups: [string, () => Scheduler, number][] = [
    ["sequential", () => Scheduler.withSequential(), 1],
    ["threads x2", () => Scheduler.withThreads({ maxWorkers: 2 }), 2],
    ["processes x2", () => Scheduler.withProcesses({ maxWorkers: 2 }), 2],
  ];
  const only = process.argv[3]; // e.g. "processes": run just the setups whose name has it
  const results: Record<string, Record<string, number>> = {};
  for (const [name, make, workers] of setups) {
    if (only && !name.includes(only)) continue;
    results[name] = {
      chainedPerSec: await measure(make, workers, n, "chained"),
      bulkPerSec: await measure(make, workers, n, "bulk"),
    };
  }
  console.log(JSON.stringify({ n, node: process.version, results }, null, 2));
}
