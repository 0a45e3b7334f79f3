/**
 * A durable sweep's driver for the sweep tests: `node --import tsx sweep-driver.ts <json>` with
 * `{ dir, name, optimizer: "tpe" | "nsga2" | "random", maxTrials, workers, killAfterAsks?, redis? }`.
 * Runs `optimize` on worker processes (or, with `redis`, on the queue executor: queue
 * "sweeps", driver id "driver-<name>") with the sweep journaled in the SQLite store in `dir`,
 * prints `told <n>` and `reported <trial> <status>` after each report and `done <json>` at the
 * end. With `killAfterAsks: k` it SIGKILLs itself right after the k-th ask of this driver is
 * committed, before the trial is submitted. With `killBeforeTell: k` it SIGKILLs itself when the k-th report arrived and
 * is about to be journaled: after the executor sent every acknowledgement it had to send (the
 * window where a result dropped from Redis too early would make the trial run twice), before
 * the journal's transaction commits. With `postgres`, the journal is in that database instead.
 */

import { NSGA2 } from "../../src/optim/nsga2/nsga2.js";
import { optimize } from "../../src/optim/optimize.js";
import { RandomSearch } from "../../src/optim/random.js";
import { float, space } from "../../src/optim/space/index.js";
import { TPE } from "../../src/optim/tpe/tpe.js";
import type { Optimizer } from "../../src/optim/types.js";
import type { QueueExecutor } from "../../src/scheduling/executors/distributed/queue-executor.js";
import { Scheduler } from "../../src/scheduling/scheduler.js";
import { openStore } from "../../src/store/open-store.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { Store, StoreTransaction } from "../../src/store/types.js";
import { Metric } from "../../src/trial/metric.js";
import { evaluate } from "./sweep-trial.js";

interface DriverArgs {
  dir: string;
  name: string;
  optimizer: "tpe" | "nsga2" | "random";
  maxTrials: number;
  workers: number;
  killAfterAsks?: number;
  killBeforeTell?: number;
  redis?: string;
  postgres?: string;
}

const args = JSON.parse(process.argv[2] as string) as DriverArgs;
const s = space({ x: float(0, 1), y: float(-1, 1) });
const loss = new Metric("loss");
const optimizers: Record<DriverArgs["optimizer"], () => Optimizer> = {
  tpe: () => new TPE({ space: s, metrics: loss, seed: 7, nStartupTrials: 4 }),
  random: () => new RandomSearch({ space: s, metrics: loss, seed: 7 }),
  nsga2: () =>
    new NSGA2({ space: s, metrics: [loss, new Metric("f2")], seed: 7, populationSize: 6 }),
};

/**
 * The store, with a SIGKILL of this process right after the transaction that journaled the
 * `k`-th ask commits: the trial is journaled and never submitted.
 */
function killingAfterAsks(store: SqliteStore, k: number): Store {
  let asks = 0;
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "transaction")
        return async <T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> => {
          let here = 0;
          const result = await target.transaction((tx) =>
            fn(
              new Proxy(tx, {
                get(t, p) {
                  const v = Reflect.get(t, p, t);
                  if (p === "createRun") here++;
                  return typeof v === "function" ? v.bind(t) : v;
                },
              }),
            ),
          );
          asks += here;
          if (here > 0 && asks >= k) process.kill(process.pid, "SIGKILL");
          return result;
        };
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as Store;
}

/** Whether a journal write is a trial's tell (its run's `_sweep` mark gets `tell`). */
function isTell(patch: unknown): boolean {
  const mark = (patch as { summary?: { _sweep?: { tell?: unknown } } }).summary?._sweep;
  return mark?.tell !== undefined;
}

/**
 * The store, with a SIGKILL of this process inside the transaction that journals the `k`-th
 * tell, before it writes: once `before()` (the executor's acknowledgements flushed) resolved.
 */
function killingBeforeTell(store: Store, k: number, before: () => Promise<void>): Store {
  let tells = 0;
  const killAt = async (patch: unknown) => {
    if (!isTell(patch) || ++tells < k) return;
    await before();
    process.kill(process.pid, "SIGKILL");
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "transaction")
        return <T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> =>
          (target.transaction as NonNullable<Store["transaction"]>)((tx) =>
            fn(
              new Proxy(tx, {
                get(t, p) {
                  const v = Reflect.get(t, p, t);
                  if (p !== "updateRun") return typeof v === "function" ? v.bind(t) : v;
                  return async (id: string, patch: unknown) => {
                    await killAt(patch);
                    return (v as (id: string, patch: unknown) => Promise<unknown>).call(
                      t,
                      id,
                      patch,
                    );
                  };
                },
              }),
            ),
          );
      if (prop === "updateRun")
        return async (id: string, patch: unknown) => {
          await killAt(patch);
          return (target.updateRun as (id: string, patch: unknown) => Promise<unknown>)(id, patch);
        };
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as Store;
}

const base: Store = args.postgres
  ? await openStore(args.postgres)
  : await SqliteStore.open(args.dir);
const scheduler = args.redis
  ? Scheduler.withQueue({
      connection: args.redis,
      queue: "sweeps",
      maxWorkers: args.workers,
      driverId: `driver-${args.name}`,
      stalledIntervalSeconds: 1,
    })
  : Scheduler.withProcesses({ maxWorkers: args.workers });
const flushAcks = async () => {
  await (scheduler.executor as Partial<QueueExecutor>).flushAcknowledgements?.();
};
const store = args.killAfterAsks
  ? killingAfterAsks(base as SqliteStore, args.killAfterAsks)
  : args.killBeforeTell
    ? killingBeforeTell(base, args.killBeforeTell, flushAcks)
    : base;
const optimizer = optimizers[args.optimizer]();
let told = 0;
const result = await optimize({
  fn: evaluate,
  optimizer,
  scheduler,
  maxTrials: args.maxTrials,
  sweep: { name: args.name, store },
  // `reported` names the trial, so a test can check the journal against what was told.
  onReport: (report) =>
    process.stdout.write(`told ${++told}\nreported ${report.name} ${report.status}\n`),
});
const generation = optimizer instanceof NSGA2 ? optimizer.generation : null;
const successes = [...result.history].filter((r) => r.status === "success").length;
process.stdout.write(
  `done ${JSON.stringify({ exit: result.exitState.code, history: result.history.length, generation, successes })}\n`,
);
await base.close();
