/**
 * The seed's "Basic Usage without Plugin": track each trial yourself with `init`.
 *
 * Run with `npx tsx examples/seed-without-plugin.ts` (workers load this .ts file through tsx
 * too, because the parent runs under it); runs go to `$AMLTK_DIR`
 * (default `./amltk-runs`).
 */
import { pathToFileURL } from "node:url";
import { importable, Scheduler, Trial, type TrialReport } from "amltk";
import { init } from "amltk/track";

type Config = { x: number; y: number; z: number };

export const targetFunction = importable(
  async (trial: Trial<Config>): Promise<TrialReport> => {
    const { x, y, z } = trial.config;

    const run = await init({ project: "my-project", config: trial.config, name: trial.name }); // (1)

    await trial.begin(() => {
      for (let i = 0; i < 10; i++) {
        const loss = i * x + 3 * (i * y) - (i * z) ** 2;
        run.log({ loss }); // (2)
      }
    });

    const cost = y + z;
    trial.summary = { cost };

    run.summary.cost = cost; // (3)

    await run.finish(); // (4)

    // Finally report the success
    return trial.success({ cost });
  },
  import.meta.url,
  "targetFunction",
);

// Only the host runs the sweep; worker processes import this module for `targetFunction`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const scheduler = Scheduler.withProcesses({ maxWorkers: 1 });

  const task = new Trial.Task(targetFunction, scheduler);

  const configs = [
    { x: 1.0, y: 2.0, z: 3.0 },
    { x: -1.0, y: 2.0, z: 3.0 },
    { x: -1.0, y: 3.0, z: 4.0 },
  ].entries();

  scheduler.on("onStart", () => {
    const [i, config] = configs.next().value as [number, Config];
    const trial = new Trial({ name: `trial-${i}`, config });
    task.submit(trial);
  });

  task.on("onReport", () => {
    const next = configs.next();
    if (!next.done) {
      const [i, config] = next.value;
      const trial = new Trial({ name: `trial-${i}`, config });
      task.submit(trial);
    }
  });

  await scheduler.run();
}
