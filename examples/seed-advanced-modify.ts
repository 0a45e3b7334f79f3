/**
 * Seed "Advanced Usage": tag each run positive/negative by `x` with a `modify` function.
 *
 * Run: npm run build && npx tsx examples/seed-advanced-modify.ts
 */
import { pathToFileURL } from "node:url";
import { importable, Scheduler, Trial } from "amltk";
import type { Run } from "amltk/track";
import { type WandbParams, WandbPlugin } from "amltk/wandb";

type XYZ = { x: number; y: number; z: number };

export const targetFunction = importable(
  async (trial: Trial<XYZ>) => {
    const { x, y, z } = trial.config;
    const run = trial.plugins.wandb as Run;
    await trial.begin(async () => {
      for (let i = 0; i < 10; i++) {
        run.log({ loss: i * x + 3 * (i * y) - (i * z) ** 2 });
      }
    });
    const cost = y + z;
    trial.summary = { cost };
    return trial.success({ cost });
  },
  import.meta.url,
  "targetFunction",
);

// Worker processes import `modify`, so it is exported and wrapped with importable.
export const modifyRun = importable(
  (trial: Trial, params: WandbParams): WandbParams => {
    const tags = (trial.config.x as number) > 0 ? ["positive"] : ["negative"];
    return params.modify({ tags });
  },
  import.meta.url,
  "modifyRun",
);

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const wandbPlugin = new WandbPlugin({
    project: "amltk-test2",
    group: "seed",
    mode: "offline", // or "disabled": the same code path, nothing written
  });
  const scheduler = Scheduler.withProcesses({ maxWorkers: 2 });
  const task = new Trial.Task<XYZ>(targetFunction, scheduler, {
    plugins: [wandbPlugin.trialTracker({ modify: modifyRun })],
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
