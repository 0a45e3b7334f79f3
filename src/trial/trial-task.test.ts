import { describe, expect, it } from "vitest";
import { Scheduler } from "../scheduling/scheduler.js";
import { Metric } from "./metric.js";
import type { TrialReport } from "./report.js";
import { costYZ, exitsOnNegative, throws } from "./test-fixtures/trial-fns.js";
import { Trial } from "./trial.js";

type XYZ = { x: number; y: number; z: number };
const CONFIGS: XYZ[] = [
  { x: 1, y: 2, z: 3 },
  { x: -1, y: 2, z: 3 },
  { x: -1, y: 3, z: 4 },
];
const trials = () =>
  CONFIGS.map(
    (config, i) =>
      new Trial<XYZ>({
        name: `trial-${i}`,
        config,
        metrics: [new Metric("cost", { minimize: true })],
      }),
  );

async function runSeed(
  scheduler: Scheduler,
  fn: (t: Trial<XYZ>) => TrialReport,
  runOpts: Parameters<Scheduler["run"]>[0] = {},
): Promise<TrialReport[]> {
  const ts = trials();
  const task = new Trial.Task<XYZ>(fn, scheduler);
  const reports: TrialReport[] = [];
  let next = 0;
  scheduler.on("onStart", () => task.submit(ts[next++] as Trial<XYZ>));
  task.on("onReport", (r) => {
    reports.push(r);
    if (next < ts.length) task.submit(ts[next++] as Trial<XYZ>);
  });
  await scheduler.run(runOpts);
  return reports;
}

describe("Trial.toJSON / fromJSON", () => {
  it("round-trips", () => {
    const t = new Trial({
      name: "a",
      config: { x: 1 },
      seed: 7,
      fidelities: { epochs: 3 },
      metrics: [new Metric("acc", { minimize: false, bounds: [0, 1] })],
    });
    t.summary.note = "hi";
    const back = Trial.fromJSON(JSON.parse(JSON.stringify(t.toJSON())));
    expect(back.toJSON()).toEqual(t.toJSON());
    expect(back.metrics.acc?.minimize).toBe(false);
  });
});

describe("Trial.Task", () => {
  it("sequential: seed pattern gives costs [5,5,7] in order, same trial objects", async () => {
    const seen: Trial<XYZ>[] = [];
    const reports = await runSeed(Scheduler.withSequential(), (t) => {
      seen.push(t);
      return costYZ(t);
    });
    expect(reports.map((r) => r.status)).toEqual(["success", "success", "success"]);
    expect(reports.map((r) => r.values.cost)).toEqual([5, 5, 7]);
    expect(reports.map((r) => r.name)).toEqual(["trial-0", "trial-1", "trial-2"]);
    expect(seen.map((t) => t.name)).toEqual(["trial-0", "trial-1", "trial-2"]);
  });

  it("sequential: a throwing function gives a crashed report", async () => {
    const s = Scheduler.withSequential();
    const task = new Trial.Task<XYZ>(throws, s);
    const crashed: TrialReport[] = [];
    task.on("onCrashed", (r) => crashed.push(r));
    s.on("onStart", () => task.submit(trials()[0] as Trial<XYZ>));
    await s.run();
    expect(crashed).toHaveLength(1);
    expect(crashed[0]?.status).toBe("crashed");
    expect(crashed[0]?.exception).toBe("boom");
  });

  it("refuses a non-importable function on processes", () => {
    const s = Scheduler.withProcesses({ maxWorkers: 1 });
    expect(() => new Trial.Task((t: Trial) => t.success(), s)).toThrow(/importable/);
  });

  it("processes: seed pattern gives costs [5,5,7] in order", async () => {
    const reports = await runSeed(Scheduler.withProcesses({ maxWorkers: 2 }), costYZ);
    expect(reports.map((r) => r.status)).toEqual(["success", "success", "success"]);
    expect(reports.map((r) => r.values.cost)).toEqual([5, 5, 7]);
    expect(reports[0]?.config).toEqual(CONFIGS[0]);
  }, 30_000);

  it("processes: a throwing function gives a crashed report with its message", async () => {
    const s = Scheduler.withProcesses({ maxWorkers: 1 });
    const task = new Trial.Task<XYZ>(throws, s);
    const reports: TrialReport[] = [];
    task.on("onCrashed", (r) => reports.push(r));
    s.on("onStart", () => task.submit(trials()[0] as Trial<XYZ>));
    await s.run();
    expect(reports[0]?.status).toBe("crashed");
    expect(reports[0]?.exception).toBe("boom");
  }, 30_000);

  it("processes: a worker that exits gives a crashed report and the next trial runs", async () => {
    // Default onException ("raise"): a dead worker is a crashed report, not a run-ending error.
    const reports = await runSeed(Scheduler.withProcesses({ maxWorkers: 1 }), exitsOnNegative);
    expect(reports.map((r) => r.status)).toEqual(["success", "crashed", "crashed"]);
    expect(reports[1]?.exception).toMatch(/exited/);
  }, 30_000);
});
