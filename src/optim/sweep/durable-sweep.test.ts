/**
 * Durable sweeps in one process, on a real SQLite store: the journal rebuilds each optimizer
 * to the state it had (the next asks equal those of the optimizer that never stopped, NSGA-II's
 * generation and population included), a changed spec is refused naming the difference, a
 * live driver keeps the sweep, and `optimize` resumes by name. The killed-driver cases, with
 * real processes and SIGKILL, are in test/e2e/sweep-*.test.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Scheduler } from "../../scheduling/scheduler.js";
import { Limiter } from "../../scheduling/task.js";
import { hasCode } from "../../shared/errors.js";
import { SqliteStore } from "../../store/sqlite/index.js";
import { type Store, StoreError } from "../../store/types.js";
import { Metric } from "../../trial/metric.js";
import type { TrialReport } from "../../trial/report.js";
import type { Trial } from "../../trial/trial.js";
import { TrialTask } from "../../trial/trial-task.js";
import { GridSearch } from "../grid.js";
import { NSGA2 } from "../nsga2/nsga2.js";
import { optimize } from "../optimize.js";
import { RandomSearch } from "../random.js";
import { categorical, float, int, space } from "../space/index.js";
import { TPE } from "../tpe/tpe.js";
import type { Optimizer } from "../types.js";
import { DurableSweep } from "./durable-sweep.js";
import { SweepBusyError, SweepMismatchError } from "./errors.js";
import { sweepRunId } from "./journal.js";

const loss = new Metric("loss");
const s = space({ x: float(-2, 2), n: int(1, 8), k: categorical(["a", "b", "c"]) });

let dir: string;
let store: SqliteStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "amltk-sweep-"));
  store = await SqliteStore.open(dir);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function evaluate(trial: Trial): TrialReport {
  const { x, n, k } = trial.config as { x: number; n: number; k: string };
  const v = (x - 0.5) ** 2 + n / 10 + (k === "b" ? 0 : 0.3);
  // Some failures and a crash, so the replay tells every kind of report.
  if (n === 8) return trial.fail(new Error("n too large"));
  if (n === 7 && k === "c") return trial.crashed(new Error("worker died"));
  const latency = n * (2 - x);
  return trial.success("latency" in trial.metrics ? { loss: v, latency } : { loss: v });
}

/** ask/tell steps with up to `parallel` trials in flight, told oldest first. */
async function drive(
  sweep: DurableSweep | Optimizer,
  asks: number,
  parallel: number,
  flight: Trial[] = [],
): Promise<Trial[]> {
  const ask = async () =>
    sweep instanceof DurableSweep ? await sweep.ask() : (sweep.ask(1)[0] as Trial | undefined);
  const tell = async (r: TrialReport) =>
    sweep instanceof DurableSweep ? await sweep.tell(r) : sweep.tell(r);
  for (let i = 0; i < asks; i++) {
    while (flight.length >= parallel) await tell(evaluate(flight.shift() as Trial));
    const t = await ask();
    if (t) flight.push(t);
  }
  return flight;
}

/** Forgets the driver as a kill -9 would: no close, and the reaper's verdict on its record. */
async function killDriver(name: string): Promise<void> {
  await store.updateRun(sweepRunId(name), { state: "crashed" });
}

const makers: Record<string, () => Optimizer> = {
  random: () => new RandomSearch({ space: s, metrics: loss, seed: 3 }),
  grid: () => new GridSearch({ space: s, metrics: loss, seed: 3, resolution: 3, shuffle: true }),
  tpe: () => new TPE({ space: s, metrics: loss, seed: 3, nStartupTrials: 5 }),
  motpe: () =>
    new TPE({ space: s, metrics: [loss, new Metric("latency")], seed: 3, nStartupTrials: 5 }),
  nsga2: () =>
    new NSGA2({ space: s, metrics: [loss, new Metric("latency")], seed: 3, populationSize: 6 }),
};

describe("a resumed sweep", () => {
  for (const [kind, make] of Object.entries(makers)) {
    it(`rebuilds ${kind} to the optimizer that never stopped`, async () => {
      const name = `resume-${kind}`;
      // The reference runs the same ask/tell sequence without stopping.
      const reference = make();
      const refFlight = await drive(reference, 17, 3);
      const first = await DurableSweep.open({ name, store }, make());
      const flight = await drive(first, 17, 3);
      expect(flight.map((t) => t.name)).toEqual(refFlight.map((t) => t.name));
      await killDriver(name);

      const resumed = await DurableSweep.open({ name, store }, make());
      expect(resumed.asked).toBe(17);
      expect(resumed.told.map((r) => r.name)).toEqual(first.told.map((r) => r.name));
      expect(resumed.inFlight.map((t) => t.name)).toEqual(flight.map((t) => t.name));
      expect(resumed.inFlight.map((t) => t.config)).toEqual(flight.map((t) => t.config));
      expect(resumed.inFlight.map((t) => t.seed)).toEqual(flight.map((t) => t.seed));
      // Both go on the same way: told the in-flight trials, then ten more steps.
      const next = await drive(resumed, 10, 3, [...resumed.inFlight]);
      const refNext = await drive(reference, 10, 3, refFlight);
      expect(next.map((t) => [t.name, t.config])).toEqual(refNext.map((t) => [t.name, t.config]));
      expect(resumed.told.length).toBe(first.told.length + 10);
      if (reference instanceof NSGA2) {
        const opt = resumed.optimizer as NSGA2;
        expect(opt.generation).toBe(reference.generation);
        expect(opt.population.map((r) => r.name)).toEqual(reference.population.map((r) => r.name));
      }
      await resumed.close();
    });
  }

  it("continues NSGA-II mid-generation: the same generation, parents and children", async () => {
    const make = makers.nsga2 as () => NSGA2;
    const reference = make();
    // 6 per generation: after 15 tells, generation 2 is 3 children in.
    const refFlight = await drive(reference, 16, 1);
    const first = await DurableSweep.open({ name: "mid-gen", store }, make());
    await drive(first, 16, 1);
    const before = first.optimizer as NSGA2;
    expect(before.generation).toBe(2);
    await killDriver("mid-gen");
    const resumed = await DurableSweep.open({ name: "mid-gen", store }, make());
    const opt = resumed.optimizer as NSGA2;
    expect(opt.generation).toBe(2);
    expect(opt.population.map((r) => r.name)).toEqual(before.population.map((r) => r.name));
    // Three more successes complete generation 3 in both.
    await drive(resumed, 6, 1, [...resumed.inFlight]);
    await drive(reference, 6, 1, refFlight);
    expect(opt.generation).toBe(reference.generation);
    expect(opt.population.map((r) => r.name)).toEqual(reference.population.map((r) => r.name));
    await resumed.close();
  });
});

describe("opening a sweep", () => {
  it("refuses another optimizer, seed, option or space, naming the difference", async () => {
    const sweep = await DurableSweep.open({ name: "spec", store }, makers.tpe());
    await drive(sweep, 3, 1);
    await sweep.close();
    const cases: [Optimizer, string][] = [
      [new RandomSearch({ space: s, metrics: loss, seed: 3 }), "optimizer"],
      [new TPE({ space: s, metrics: loss, seed: 4, nStartupTrials: 5 }), "seed"],
      [new TPE({ space: s, metrics: loss, seed: 3, nStartupTrials: 6 }), "settings.nStartupTrials"],
      [
        new TPE({
          space: space({ x: float(-2, 3), n: int(1, 8), k: categorical(["a", "b", "c"]) }),
          metrics: loss,
          seed: 3,
          nStartupTrials: 5,
        }),
        "space.params[0].dist.high",
      ],
      [
        new TPE({ space: s, metrics: new Metric("acc"), seed: 3, nStartupTrials: 5 }),
        "metrics[0].name",
      ],
    ];
    for (const [optimizer, path] of cases) {
      const error = await DurableSweep.open({ name: "spec", store }, optimizer).catch((e) => e);
      expect(error).toBeInstanceOf(SweepMismatchError);
      expect(hasCode(error, "sweep_mismatch")).toBe(true);
      expect((error as SweepMismatchError).path).toBe(path);
      expect((error as Error).message).toContain(`${path}: stored`);
    }
    // The refused attempts changed nothing: the original resumes.
    const again = await DurableSweep.open({ name: "spec", store }, makers.tpe());
    expect(again.asked).toBe(3);
    await again.close();
  });

  it("refuses a sweep a live driver holds, and takes it once that driver closed", async () => {
    const a = await DurableSweep.open({ name: "busy", store }, makers.random());
    const error = await DurableSweep.open({ name: "busy", store }, makers.random()).catch((e) => e);
    expect(error).toBeInstanceOf(SweepBusyError);
    expect((error as Error).message).toContain(`process ${process.pid}`);
    await a.close();
    const b = await DurableSweep.open({ name: "busy", store }, makers.random());
    await b.close();
  });

  it("refuses a name a run id cannot hold", async () => {
    for (const name of ["has space", "", "a:b", "x".repeat(65)])
      await expect(DurableSweep.open({ name, store }, makers.random())).rejects.toThrow(
        /sweep: `name` must match/,
      );
  });
});

describe("a plain Trial.Task sweep", () => {
  /** Runs the TSDoc's loop until `stopAt` trials are asked (then leaves, as a dead driver). */
  async function drivePlain(stopAt: number, close: boolean): Promise<DurableSweep> {
    const sweep = await DurableSweep.open({ name: "plain", store }, makers.tpe());
    const scheduler = Scheduler.withSequential();
    const task = new TrialTask(evaluate, scheduler);
    const next = async () => {
      const trial = sweep.asked < stopAt ? await sweep.ask() : undefined;
      if (trial) sweep.submit(task, trial);
      else scheduler.stop();
    };
    task.on("onReport", (report) => void sweep.tell(report).then(next));
    scheduler.on("onStart", () => {
      for (const trial of sweep.inFlight) {
        if (sweep.collectsOn(scheduler.executor)) sweep.submit(task, trial);
        else void sweep.tell(trial.crashed("its driver died")).then(next);
      }
      if (sweep.inFlight.length === 0) void next();
    });
    await scheduler.run({ endOnEmpty: false });
    if (close) await sweep.close();
    else await killDriver("plain");
    return sweep;
  }

  it("resumes where its driver stopped, every trial once", async () => {
    const first = await drivePlain(7, false);
    expect(first.told.length).toBe(7);
    const second = await drivePlain(12, true);
    expect(second.told.map((r) => r.name)).toEqual(
      Array.from({ length: 12 }, (_, i) => `trial-${String(i + 1).padStart(4, "0")}`),
    );
    const { runs } = await store.listRuns({ group: "plain", state: "running" });
    expect(runs).toEqual([]);
  });
});

describe("optimize with a sweep", () => {
  const f = (trial: Trial) => trial.success({ loss: (trial.config.x as number) ** 2 });

  it("journals every trial as a run, and a second call resumes up to maxTrials", async () => {
    const opts = () => ({
      fn: f,
      optimizer: new TPE({ space: s, metrics: loss, seed: 1, nStartupTrials: 4 }),
      sweep: { name: "opt", store },
    });
    const first = await optimize({ ...opts(), maxTrials: 6 });
    expect(first.exitState.code).toBe("EXHAUSTED");
    expect(first.history.length).toBe(6);
    const second = await optimize({ ...opts(), maxTrials: 10 });
    expect(second.exitState.code).toBe("EXHAUSTED");
    // The History holds the first call's reports too; no trial twice.
    const names = [...second.history].map((r) => r.name);
    expect(names).toEqual(
      Array.from({ length: 10 }, (_, i) => `trial-${String(i + 1).padStart(4, "0")}`),
    );
    const { runs } = await store.listRuns({ project: "opt", group: "opt" });
    const trials = runs.filter((r) => r.jobType === "trial");
    expect(trials).toHaveLength(10);
    expect(trials.every((r) => r.state === "finished")).toBe(true);
    const sweepRec = runs.find((r) => r.jobType === "sweep");
    expect(sweepRec).toMatchObject({ state: "finished", summary: { asked: 10, told: 10 } });
    // Nothing more to ask: a third call ends at once with the same History.
    const third = await optimize({ ...opts(), maxTrials: 10 });
    expect(third.history.length).toBe(10);
    expect(third.best?.name).toBe(second.best?.name);
  });

  it("opens a run folder given by path, and closes it after", async () => {
    const folder = join(dir, "by-path");
    const result = await optimize({
      fn: f,
      optimizer: new RandomSearch({ space: s, metrics: loss, seed: 2 }),
      maxTrials: 3,
      sweep: { name: "by-path", store: folder },
    });
    expect(result.history.length).toBe(3);
    const other = await SqliteStore.open(folder);
    try {
      const { runs } = await other.listRuns({ group: "by-path", state: "finished" });
      expect(runs).toHaveLength(4);
    } finally {
      await other.close();
    }
  });

  it("takes back an ask a plugin vetoed, so the resumed sweep asks that trial again", async () => {
    const opts = () => ({
      fn: f,
      optimizer: new TPE({ space: s, metrics: loss, seed: 5, nStartupTrials: 2 }),
      maxTrials: 6,
      sweep: { name: "veto", store },
    });
    const first = await optimize({ ...opts(), plugins: [new Limiter({ maxCalls: 3 })] });
    expect(first.history.length).toBe(3);
    const { runs } = await store.listRuns({ group: "veto" });
    // The vetoed fourth ask left no run behind: it never ran.
    expect(
      runs
        .filter((r) => r.jobType === "trial")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["trial-0001", "trial-0002", "trial-0003"]);
    const second = await optimize(opts());
    expect([...second.history].map((r) => r.name)).toEqual(
      Array.from({ length: 6 }, (_, i) => `trial-000${i + 1}`),
    );
  });

  it("stops on a journal that cannot be written, with the store's error, and resumes after", async () => {
    let writes = 0;
    const failing = new Proxy(store, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (prop !== "transaction") return typeof v === "function" ? v.bind(target) : v;
        return (fn: Parameters<SqliteStore["transaction"]>[0]) => {
          if (++writes > 4) throw new StoreError("no space left on the device", "full");
          return target.transaction(fn);
        };
      },
    });
    const opts = (st: Store) => ({
      fn: f,
      optimizer: new RandomSearch({ space: s, metrics: loss, seed: 9 }),
      maxTrials: 8,
      sweep: { name: "full", store: st },
    });
    const error = await optimize(opts(failing)).catch((e) => e);
    expect(hasCode(error, "full")).toBe(true);
    expect((await store.getRun(sweepRunId("full")))?.state).toBe("failed");
    const resumed = await optimize(opts(store));
    expect(resumed.history.length).toBe(8);
    const { runs } = await store.listRuns({ group: "full", state: "running" });
    expect(runs).toEqual([]);
  });

  it("journals a grid that runs out, and ends EXHAUSTED", async () => {
    const result = await optimize({
      fn: f,
      optimizer: new GridSearch({ space: space({ x: float(0, 1) }), metrics: loss, resolution: 4 }),
      maxTrials: 100,
      sweep: { name: "grid", store, project: "grids" },
    });
    expect(result.exitState.code).toBe("EXHAUSTED");
    expect(result.history.length).toBe(4);
    const { total } = await store.listRuns({ project: "grids", group: "grid" });
    expect(total).toBe(5); // 4 trials and the sweep's record
  });
});
