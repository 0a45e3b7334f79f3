/**
 * The driver bench/durable-sweep.ts kills: `node --import tsx bench/durable-sweep-driver.ts
 * <store> <name> <trials>` runs a durable TPE sweep of `sleepy` trials on 2 worker processes,
 * journaled in `<store>` (a run folder or a postgres:// URL), printing `told <n>` per report.
 */
import { optimize } from "../src/optim/optimize.js";
import { float, space } from "../src/optim/space/index.js";
import { TPE } from "../src/optim/tpe/tpe.js";
import { Scheduler } from "../src/scheduling/scheduler.js";
import { Metric } from "../src/trial/metric.js";
import { sleepy } from "./durable-sweep-parts.js";

const [store, name, trials] = process.argv.slice(2) as [string, string, string];
let told = 0;
await optimize({
  fn: sleepy,
  optimizer: new TPE({
    space: space({ x: float(-5, 5), y: float(-5, 5) }),
    metrics: new Metric("loss"),
    seed: 1,
  }),
  scheduler: Scheduler.withProcesses({ maxWorkers: 2 }),
  maxTrials: Number(trials),
  sweep: { name, store },
  onReport: () => process.stdout.write(`told ${++told}\n`),
});
process.stdout.write("done\n");
