import { resolve } from "node:path";
import type { Command } from "commander";
import { Scheduler } from "../scheduling/scheduler.js";
import type { TrialReport } from "../trial/report.js";
import { Trial } from "../trial/trial.js";
import { TrialTask } from "../trial/trial-task.js";
import { type DemoConfig, demoTarget } from "./demo/target.js";

/** Seeded PRNG (mulberry32). */
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

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n");
}

/** `amltk demo`: the seed sweep on worker processes, tracked with `init`. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run the seed sweep with tracking, then serve the dashboard")
    .option("--trials <n>", "number of configurations", "24")
    .option("--workers <n>", "worker processes", "4")
    .option("--dir <path>", "store folder", process.env.AMLTK_DIR ?? "./amltk-runs")
    .option("--no-serve", "do not serve the dashboard afterwards")
    .action(async (opts: { trials: string; workers: string; dir: string; serve: boolean }) => {
      const n = Number.parseInt(opts.trials, 10);
      const workers = Number.parseInt(opts.workers, 10);
      if (!(n > 0) || !(workers > 0)) throw new Error("--trials and --workers must be > 0");
      const dir = resolve(opts.dir);
      process.env.AMLTK_DEMO_DIR = dir; // inherited by the worker processes
      const configs = demoConfigs(n).entries();
      const scheduler = Scheduler.withProcesses({ maxWorkers: workers });
      const task = new TrialTask<DemoConfig>(demoTarget, scheduler);
      const reports: TrialReport[] = [];
      const start = Date.now();
      let best = Number.POSITIVE_INFINITY;
      const submitNext = (): void => {
        const next = configs.next();
        if (next.done) return;
        const [i, config] = next.value;
        task.submit(new Trial({ name: `trial-${i}`, config }));
      };
      scheduler.on("onStart", () => {
        for (let w = 0; w < workers; w++) submitNext();
      });
      task.on("onReport", (report) => {
        reports.push(report);
        const cost = report.values.cost;
        if (report.status === "success" && typeof cost === "number") best = Math.min(best, cost);
        const done = reports.filter((r) => r.status === "success").length;
        const failed = reports.length - done;
        const secs = (Date.now() - start) / 1000;
        const rate = reports.length / Math.max(secs, 1e-3);
        const eta = (n - reports.length) / rate;
        const line =
          `[${reports.length}/${n}] done ${done} failed ${failed} best cost ` +
          `${Number.isFinite(best) ? best : "-"} ${rate.toFixed(1)} trials/s ETA ${eta.toFixed(1)}s`;
        if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
        else process.stderr.write(`${line}\n`);
        submitNext();
      });
      await scheduler.run();
      if (process.stderr.isTTY) process.stderr.write("\n");
      const order = (r: TrialReport) => Number(r.name.replace(/^trial-/, ""));
      reports.sort((a, b) => order(a) - order(b));
      const rows = [["name", "status", "cost", "x", "y", "z"]];
      for (const r of reports) {
        const c = r.config as DemoConfig;
        rows.push([
          r.name,
          r.status,
          String(r.values.cost ?? "-"),
          String(c.x),
          String(c.y),
          String(c.z),
        ]);
      }
      console.log(table(rows));
      console.log(`\nRuns are stored in ${dir}`);
      console.log(`List them with: amltk runs list --dir ${dir}`);
      if (opts.serve)
        console.log("The dashboard is not there yet; `amltk demo --no-serve` skips this.");
      if (reports.some((r) => r.status !== "success")) process.exitCode = 1;
    });
}
