/**
 * `amltk demo`: the seed sweep end to end. Configs of x, y, z run on worker processes as a
 * `Trial.Task` tracked by the WandbPlugin (offline, the local store), with a live progress
 * line; then the History as a table, where the runs are, and the dashboard over them.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Command } from "commander";
import { Scheduler } from "../scheduling/scheduler.js";
import { defaultStoreDir } from "../track/init-options.js";
import { History } from "../trial/history.js";
import { Metric } from "../trial/metric.js";
import { Progress } from "../trial/progress.js";
import { Trial } from "../trial/trial.js";
import { TrialTask } from "../trial/trial-task.js";
import { WandbPlugin } from "../wandb/index.js";
import { DEMO_EXAMPLES, demoExample, runExampleScript } from "./demo/example.js";
import { serveDashboard } from "./demo/serve.js";
import { historyTable } from "./demo/table.js";
import { type DemoConfig, demoTarget } from "./demo/target.js";

/** Seeded PRNG (mulberry32): the same demo every time. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` configs: the x,y,z grid {-1,1} x {1,2,3} x {1,2,3,4} first, then seeded random. */
export function demoConfigs(n: number, seed = 0): DemoConfig[] {
  const out: DemoConfig[] = [];
  for (const x of [-1, 1])
    for (const y of [1, 2, 3]) for (const z of [1, 2, 3, 4]) out.push({ x, y, z });
  const r = rng(seed);
  while (out.length < n) {
    const round = (v: number) => Math.round(v * 100) / 100;
    out.push({ x: round(r() * 2 - 1), y: round(r() * 4), z: round(r() * 4) });
  }
  return out.slice(0, n);
}

function positiveInt(name: string, raw: string, min = 1): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(`amltk demo: ${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return n;
}

interface DemoOptions {
  trials: string;
  workers: string;
  dir: string;
  project: string;
  serve: boolean;
  port: string;
  example: string;
}

/** Runs the sweep; returns the History (every report, in submission order). */
export async function runDemoSweep(options: {
  trials: number;
  workers: number;
  dir: string;
  project: string;
}): Promise<History> {
  const { trials, workers, dir, project } = options;
  const configs = demoConfigs(trials).entries();
  const scheduler = Scheduler.withProcesses({ maxWorkers: workers });
  const wandbPlugin = new WandbPlugin({ project, dir, mode: "offline" });
  const task = new TrialTask<DemoConfig>(demoTarget, scheduler, {
    plugins: [wandbPlugin.trialTracker()],
  });
  const progress = new Progress({ total: trials });
  const reports: History = new History();
  const submitNext = (): void => {
    const next = configs.next();
    if (next.done) return;
    const [i, config] = next.value;
    const metrics = [new Metric("cost", { minimize: true })];
    task.submit(new Trial<DemoConfig>({ name: `trial-${i}`, config, metrics }));
  };
  scheduler.on("onStart", () => {
    for (let w = 0; w < workers; w++) submitNext();
  });
  task.on("onReport", (report) => {
    reports.add(report);
    progress.report(report);
    submitNext();
  });
  await scheduler.run();
  progress.finish();
  const order = (name: string) => Number(name.replace(/^trial-/, ""));
  return new History(reports.toArray().sort((a, b) => order(a.name) - order(b.name)));
}

/** The `--example` choices for the help: each name and what it runs. */
function exampleHelp(): string {
  return Object.entries(DEMO_EXAMPLES)
    .map(([name, what]) => `"${name}" (${what})`)
    .join("; ");
}

/** Registers `amltk demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "run the seed sweep (or another --example) tracked by the WandbPlugin, then serve the dashboard",
    )
    .option("--example <name>", `what to run: ${exampleHelp()}`, "seed")
    .option("--trials <n>", "number of trials (x,y,z configurations in the seed's sweep)", "24")
    .option("--workers <n>", "worker processes", String(Math.min(4, availableParallelism())))
    .option("--dir <path>", "store folder", defaultStoreDir())
    .option("--project <name>", "project of the runs", "amltk-demo")
    .option("--no-serve", "do not serve the dashboard afterwards")
    .option("--port <n>", "dashboard port on 127.0.0.1 (0 = any free port)", "0")
    .action(async (opts: DemoOptions) => {
      const trials = positiveInt("--trials", opts.trials);
      const workers = positiveInt("--workers", opts.workers);
      const port = positiveInt("--port", opts.port, 0);
      const dir = resolve(opts.dir);
      const example = demoExample(opts.example);
      if (example !== "seed") {
        console.log(
          `Running the "${example}" example: ${trials} trials, tracked offline in ${dir}`,
        );
        await runExampleScript(example, { trials, workers, dir, project: opts.project });
        console.log(`Runs are stored in ${dir} (project "${opts.project}")`);
        if (opts.serve) await serveDashboard(dir, port, (line) => console.log(line));
        return;
      }
      console.log(
        `Running ${trials} trials on ${workers} worker processes, tracked offline in ${dir}`,
      );
      const history = await runDemoSweep({ trials, workers, dir, project: opts.project });
      console.log(`\n${historyTable(history)}\n`);
      const best = history.best("cost");
      if (best) console.log(`Best: ${best.name} cost ${best.values.cost} (marked *)`);
      console.log(`Runs are stored in ${dir} (project "${opts.project}")`);
      console.log(`List them with: npx amltk runs list --dir ${dir}`);
      if (history.toArray().some((r) => r.status !== "success")) process.exitCode = 1;
      if (!opts.serve) return;
      await serveDashboard(dir, port, (line) => console.log(line));
    });
}
