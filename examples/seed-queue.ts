/**
 * Seed "Basic Usage with Plugin" on a queue: the same sweep as `seed-with-plugin.ts`, with only
 * the scheduler line changed. Trials run on `amltk worker` processes on any machine that
 * reaches Redis; each worker tracks its trials' runs in its own store (offline: `$AMLTK_DIR`
 * there, for a later `amltk sync`) or on the tracking server (online).
 *
 * Run: npm run build, start Redis, then one or more workers and the sweep:
 *   npx amltk worker --redis redis://127.0.0.1:6379 --queue seed --concurrency 2
 *   AMLTK_REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/seed-queue.ts
 */
import { pathToFileURL } from "node:url";
import { importable, Scheduler, Trial } from "amltk";
import type { Run } from "amltk/track";
import { WandbPlugin } from "amltk/wandb";

type XYZ = { x: number; y: number; z: number };

export const targetFunction = importable(
  async (trial: Trial<XYZ>) => {
    const { x, y, z } = trial.config;

    // The plugin attaches the run to the trial.
    const run = trial.plugins.wandb as Run;

    await trial.begin(async () => {
      for (let i = 0; i < 10; i++) {
        const loss = i * x + 3 * (i * y) - (i * z) ** 2;
        run.log({ loss }); // you can still log what you like
      }
    });

    const cost = y + z;
    trial.summary = { cost }; // numeric summary values go to run.summary

    // The plugin logs the report to the run and finishes it.
    return trial.success({ cost });
  },
  import.meta.url,
  "targetFunction",
);

// Only run the experiment when executed directly (workers import this module too).
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const wandbPlugin = new WandbPlugin({
    project: "amltk-test2",
    group: "seed",
    mode: "offline", // or "disabled": the same code path, nothing written
  });

  const scheduler = Scheduler.withQueue({
    connection: process.env.AMLTK_REDIS_URL ?? "redis://127.0.0.1:6379",
    queue: "seed",
    maxWorkers: 2,
  });
  const task = new Trial.Task<XYZ>(targetFunction, scheduler, {
    plugins: [wandbPlugin.trialTracker()],
  });

  const configs = [
    { x: 1.0, y: 2.0, z: 3.0 },
    { x: -1.0, y: 2.0, z: 3.0 },
    { x: -1.0, y: 3.0, z: 4.0 },
  ].entries();

  const launchNext = () => {
    const next = configs.next();
    if (next.done) return;
    const [i, config] = next.value;
    task.submit(new Trial<XYZ>({ name: `trial-${i}`, config }));
  };

  scheduler.on("onStart", launchNext);
  task.on("onReport", (report) => {
    console.log(`${report.name}: ${report.status}`, report.values, report.exception ?? "");
    launchNext();
  });

  await scheduler.run();
}
