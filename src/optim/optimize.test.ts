import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Scheduler } from "../scheduling/scheduler.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { Metric } from "../trial/metric.js";
import { isPruned } from "../trial/pruning.js";
import type { TrialReport } from "../trial/report.js";
import { Trial } from "../trial/trial.js";
import { WandbPlugin } from "../wandb/index.js";
import { BaseOptimizer } from "./base-optimizer.js";
import { OptimizeOptionError, optimize } from "./optimize.js";
import { MedianPruner, SuccessiveHalvingPruner } from "./pruners/index.js";
import { RandomSearch } from "./random.js";
import { float, space } from "./space/index.js";
import { curve, hangs, quadratic } from "./test-fixtures/objectives.js";
import type { Config } from "./types.js";

const loss = new Metric("loss");
const xy = space({ x: float(-1, 1), y: float(-1, 1) });
const xOnly = space({ x: float(0, 100) });

/** Proposes the given configurations in order (for tests whose outcome depends on which). */
class Fixed extends BaseOptimizer {
  #next = 0;
  constructor(private readonly configs: Config[]) {
    super({ space: xOnly, metrics: loss });
  }
  protected propose(n: number): Config[] {
    const out = this.configs.slice(this.#next, this.#next + n);
    this.#next += out.length;
    return out;
  }
  override get exhausted(): boolean {
    return this.#next >= this.configs.length;
  }
}

const names = (n: number) =>
  Array.from({ length: n }, (_, i) => `trial-${String(i + 1).padStart(4, "0")}`);
const bestOf = (reports: TrialReport[]) =>
  reports.reduce((a, b) => ((b.values.loss as number) < (a.values.loss as number) ? b : a));

describe.each([
  ["sequential", 1],
  ["processes", 2],
])("optimize with RandomSearch on %s", (label, workers) => {
  it("submits exactly maxTrials, keeps every report in History, and finds the best", async () => {
    const optimizer = new RandomSearch({ space: xy, metrics: loss, seed: 7 });
    const scheduler =
      workers === 1 ? Scheduler.withSequential() : Scheduler.withProcesses({ maxWorkers: workers });
    let maxRunning = 0;
    scheduler.on("onFutureSubmitted", () => {
      maxRunning = Math.max(maxRunning, scheduler.queueSize);
    });
    const { history, best, front, exitState } = await optimize({
      fn: quadratic,
      optimizer,
      scheduler,
      maxTrials: 12,
    });
    expect(exitState.code).toBe("EXHAUSTED");
    expect(history.length).toBe(12);
    expect(optimizer.reports.length).toBe(12); // every report was told
    const reports = history.toArray();
    expect(reports.map((r) => r.name).sort()).toEqual(names(12));
    if (label === "sequential") expect(reports.map((r) => r.name)).toEqual(names(12));
    for (const r of reports) {
      expect(r.status).toBe("success");
      expect(xy.contains(r.config)).toBe(true);
      const { x, y } = r.config as { x: number; y: number };
      expect(r.values.loss).toBeCloseTo((x - 0.3) ** 2 + (y + 0.2) ** 2, 12);
    }
    expect(best?.name).toBe(bestOf(reports).name);
    expect(front.map((r) => r.name)).toEqual([best?.name]);
    expect(maxRunning).toBe(workers);
  });
});

describe("optimize", () => {
  it("is reproducible: the same seed gives the same trials", async () => {
    const run = async () =>
      (
        await optimize({
          fn: quadratic,
          optimizer: (o) => new RandomSearch(o),
          space: xy,
          metrics: loss,
          seed: 3,
          maxTrials: 5,
        })
      ).history
        .toArray()
        .map((r) => r.config);
    const [a, b] = [await run(), await run()];
    expect(a).toEqual(b);
    expect(new Set(a.map((c) => JSON.stringify(c))).size).toBe(5);
  });

  it("stops asking when the optimizer runs out, and can reuse its scheduler", async () => {
    const scheduler = Scheduler.withSequential();
    const first = await optimize({
      fn: curve,
      optimizer: new Fixed([{ x: 1 }, { x: 2 }]),
      scheduler,
      maxTrials: 10,
    });
    expect(first.history.length).toBe(2);
    expect(first.exitState.code).toBe("EXHAUSTED");
    expect(first.best?.config).toEqual({ x: 1 });
    const second = await optimize({
      fn: curve,
      optimizer: new Fixed([{ x: 3 }]),
      scheduler,
      maxTrials: 10,
    });
    // The first call's handlers are gone: only the second optimizer's trial ran.
    expect(second.history.toArray().map((r) => r.config)).toEqual([{ x: 3 }]);
  });

  it("with a timeout and no maxTrials, runs until the timeout", async () => {
    const { history, exitState } = await optimize({
      fn: quadratic,
      optimizer: new RandomSearch({ space: xy, metrics: loss }),
      timeout: 0.3,
    });
    expect(exitState.code).toBe("TIMEOUT");
    expect(history.length).toBeGreaterThan(0);
  });

  it("accepts a ready Trial.Task; pruning one on processes needs its Comm plugin", async () => {
    const task = new Trial.Task(curve, Scheduler.withSequential());
    const { history } = await optimize({
      task,
      optimizer: new Fixed([{ x: 0 }, { x: 9 }]),
      maxTrials: 2,
      pruner: new MedianPruner({ nStartupTrials: 1 }),
    });
    expect(history.toArray().map((r) => r.exception)).toEqual([null, "Pruned at step 0"]);
    const remote = new Trial.Task(curve, Scheduler.withProcesses({ maxWorkers: 1 }));
    await expect(
      optimize({
        task: remote,
        optimizer: new Fixed([]),
        maxTrials: 1,
        pruner: new MedianPruner(),
      }),
    ).rejects.toThrow("needs the Comm plugin on the task");
  });

  it("timeout with wait: false ends the run without waiting for running trials", async () => {
    // The workers inherit this variable: each trial that starts in one leaves a file here.
    const started = mkdtempSync(join(tmpdir(), "amltk-optimize-started-"));
    process.env.AMLTK_TEST_STARTED_DIR = started;
    try {
      const { history, best, exitState } = await optimize({
        fn: hangs,
        optimizer: new RandomSearch({ space: xy, metrics: loss }),
        scheduler: Scheduler.withProcesses({ maxWorkers: 2 }),
        maxTrials: 5,
        // Long enough for both workers to start their trial on a loaded machine.
        timeout: 3,
        wait: false,
        pruner: new MedianPruner(),
      });
      expect(exitState.code).toBe("TIMEOUT");
      // The trials running at the timeout are stopped: their workers are killed, which
      // Trial.Task reports as crashed; a trial cancelled before it started is not reported.
      // So History holds exactly the trials that started, all crashed, none succeeded.
      const ran = readdirSync(started).sort();
      expect(ran.length).toBeGreaterThan(0);
      expect(ran.length).toBeLessThanOrEqual(2);
      const reports = history.toArray();
      expect(reports.map((r) => r.name).sort()).toEqual(ran);
      expect(reports.filter((r) => r.status === "crashed")).toHaveLength(ran.length);
      expect(best).toBeUndefined();
    } finally {
      delete process.env.AMLTK_TEST_STARTED_DIR;
      rmSync(started, { recursive: true, force: true });
    }
  });

  it("shows progress: plain lines when not a TTY", async () => {
    const lines: string[] = [];
    await optimize({
      fn: quadratic,
      optimizer: new RandomSearch({ space: xy, metrics: loss }),
      maxTrials: 4,
      progress: { stream: { write: (s: string) => lines.push(s) }, lineEveryMs: 0 },
    });
    expect(lines.length).toBe(4);
    expect(lines.every((l) => l.endsWith("\n") && !l.includes("\r"))).toBe(true);
    expect(lines[3]).toMatch(/^\[4\/4\] done 4 failed 0 \| best loss /);
  });

  it("rejects bad options clearly", async () => {
    const optimizer = new RandomSearch({ space: xy, metrics: loss });
    const bad: [Parameters<typeof optimize>[0], string][] = [
      [{ fn: quadratic, optimizer, maxTrials: 0 }, "`maxTrials` must be an integer >= 1, got 0"],
      [{ fn: quadratic, optimizer }, "give `maxTrials`, `timeout` or both"],
      [
        { fn: quadratic, optimizer, maxTrials: 2, workers: 1.5 },
        "`workers` must be an integer >= 1, got 1.5",
      ],
      [
        { fn: quadratic, optimizer, timeout: -1 },
        "`timeout` must be a number of seconds > 0, got -1",
      ],
      [{ optimizer, maxTrials: 2 }, "give `fn` (or `task`)"],
      [{ fn: quadratic, optimizer: (o) => new RandomSearch(o), maxTrials: 2 }, "needs `space`"],
      [{ fn: quadratic, optimizer, space: xOnly, maxTrials: 2 }, "`space` differs"],
      [
        { fn: quadratic, optimizer, maxTrials: 2, pruner: {} as MedianPruner },
        "`pruner` must implement report/shouldPrune/complete",
      ],
    ];
    for (const [options, message] of bad) {
      await expect(optimize(options)).rejects.toThrow(OptimizeOptionError);
      await expect(optimize(options)).rejects.toThrow(message);
    }
  });
});

describe.each([
  ["sequential", () => Scheduler.withSequential()],
  ["processes (through Comm)", () => Scheduler.withProcesses({ maxWorkers: 2 })],
  ["threads (through Comm)", () => Scheduler.withThreads({ maxWorkers: 2 })],
])("pruning end to end on %s", (_label, make) => {
  it("MedianPruner stops the bad curves at their first step, keeps the good ones", async () => {
    // Two good curves first (run together on 2 workers, so neither is judged before the other
    // finished); every later trial is asked after a good one finished, so its first value
    // (>= 11) is worse than the median (1) and it is pruned at step 0.
    const { history, best } = await optimize({
      fn: curve,
      optimizer: new Fixed([{ x: 0 }, { x: 0 }, { x: 10 }, { x: 11 }, { x: 12 }, { x: 13 }]),
      scheduler: make(),
      maxTrials: 6,
      pruner: new MedianPruner({ nStartupTrials: 1 }),
    });
    const rows = history
      .toArray()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => [r.config.x, r.status, r.exception]);
    expect(rows).toEqual([
      [0, "success", null],
      [0, "success", null],
      [10, "fail", "Pruned at step 0"],
      [11, "fail", "Pruned at step 0"],
      [12, "fail", "Pruned at step 0"],
      [13, "fail", "Pruned at step 0"],
    ]);
    expect(history.filter(isPruned).length).toBe(4);
    expect(best?.config).toEqual({ x: 0 });
  });
});

describe("pruning with ASHA", () => {
  it("prunes a trial at the first rung it loses", async () => {
    const { history } = await optimize({
      fn: curve,
      optimizer: new Fixed([{ x: 1 }, { x: 5 }, { x: 0.5 }]),
      maxTrials: 3,
      pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 }),
    });
    // Rung 0 (step 1): x=1 first (kept); x=5 is not in the top half of [1.5, 5.5] (pruned at
    // step 1); x=0.5 is the best so far at each rung (kept).
    expect(history.toArray().map((r) => [r.config.x, r.status, r.exception])).toEqual([
      [1, "success", null],
      [5, "fail", "Pruned at step 1"],
      [0.5, "success", null],
    ]);
  });
});

describe("optimize with the W&B plugin", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("tracks each trial as a run when the plugin is passed in `plugins`", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-optimize-wandb-"));
    dirs.push(dir);
    const wandb = new WandbPlugin({ project: "optimize-test", dir });
    const { history } = await optimize({
      fn: quadratic,
      optimizer: new RandomSearch({ space: xy, metrics: loss }),
      maxTrials: 3,
      plugins: [wandb.trialTracker()],
    });
    const store = await SqliteStore.open(dir);
    const { runs } = await store.listRuns();
    await store.close();
    expect(runs.map((r) => r.name).sort()).toEqual(
      history
        .toArray()
        .map((r) => r.name)
        .sort(),
    );
  });
});
