import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Scheduler } from "../scheduling/scheduler.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { Metric } from "../trial/metric.js";
import type { TrialReport } from "../trial/report.js";
import { Trial } from "../trial/trial.js";
import { WandbParams, WandbPlugin } from "./index.js";
import { modifyRun, targetFunction, throws } from "./test-fixtures/fns.js";

type XYZ = { x: number; y: number; z: number };
const CONFIGS: XYZ[] = [
  { x: 1, y: 2, z: 3 },
  { x: -1, y: 2, z: 3 },
  { x: -1, y: 3, z: 4 },
];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-wandb-"));
  dirs.push(d);
  return d;
}

async function runSeed(
  scheduler: Scheduler,
  fn: (t: Trial<XYZ>) => TrialReport | Promise<TrialReport>,
  plugin: ReturnType<WandbPlugin["trialTracker"]>,
): Promise<TrialReport[]> {
  const task = new Trial.Task<XYZ>(fn, scheduler, { plugins: [plugin] });
  const reports: TrialReport[] = [];
  let i = 0;
  const submitNext = () => {
    const config = CONFIGS[i];
    if (!config) return;
    task.submit(
      new Trial<XYZ>({
        name: `trial-${i++}`,
        config,
        metrics: [new Metric("cost", { minimize: true })],
      }),
    );
  };
  scheduler.on("onStart", submitNext);
  task.on("onReport", (r) => {
    reports.push(r);
    submitNext();
  });
  await scheduler.run();
  return reports;
}

async function runsOf(dir: string) {
  const store = await SqliteStore.open(dir);
  const { runs } = await store.listRuns();
  runs.sort((a, b) => a.name.localeCompare(b.name));
  const keys = await Promise.all(runs.map((r) => store.historyKeys(r.id)));
  await store.close();
  return { runs, keys };
}

describe.each([
  ["sequential", () => Scheduler.withSequential()],
  ["processes", () => Scheduler.withProcesses({ maxWorkers: 2 })],
  ["threads", () => Scheduler.withThreads({ maxWorkers: 2 })],
])("WandbPlugin on %s", (_label, make) => {
  it("tracks each trial as a finished run", async () => {
    const dir = tmp();
    const plugin = new WandbPlugin({ project: "amltk-test", dir });
    const reports = await runSeed(make(), targetFunction, plugin.trialTracker());
    expect(reports.map((r) => r.status)).toEqual(["success", "success", "success"]);
    const { runs, keys } = await runsOf(dir);
    expect(runs.map((r) => r.name)).toEqual(["trial-0", "trial-1", "trial-2"]);
    runs.forEach((r, i) => {
      expect(r.config).toEqual(CONFIGS[i]);
      expect(r.state).toBe("finished");
      expect(r.exitCode).toBe(0);
      const c = CONFIGS[i] as XYZ;
      expect(r.summary.cost).toBe(c.y + c.z);
      const loss = keys[i]?.find((k) => k.key === "loss");
      expect(loss?.count).toBe(10);
    });
  });

  it("modify tags runs positive/negative", async () => {
    const dir = tmp();
    const plugin = new WandbPlugin({ project: "amltk-test", dir });
    await runSeed(make(), targetFunction, plugin.trialTracker({ modify: modifyRun }));
    const { runs } = await runsOf(dir);
    expect(runs.map((r) => r.tags)).toEqual([["positive"], ["negative"], ["negative"]]);
  });

  it("a throwing function closes the run as crashed with a non-zero exit code", async () => {
    const dir = tmp();
    const plugin = new WandbPlugin({ project: "amltk-test", dir });
    const reports = await runSeed(make(), throws, plugin.trialTracker());
    expect(reports.map((r) => r.status)).toEqual(["crashed", "crashed", "crashed"]);
    const { runs } = await runsOf(dir);
    expect(runs).toHaveLength(3);
    for (const r of runs) {
      expect(r.exitCode).not.toBe(0);
      expect(r.state).toBe("crashed");
    }
  });
});

describe("WandbPlugin", () => {
  it('mode "disabled" writes no run', async () => {
    const dir = tmp();
    const plugin = new WandbPlugin({ project: "amltk-test", dir, mode: "disabled" });
    const reports = await runSeed(
      Scheduler.withSequential(),
      targetFunction,
      plugin.trialTracker(),
    );
    expect(reports.map((r) => r.status)).toEqual(["success", "success", "success"]);
    const { runs } = await runsOf(dir);
    expect(runs).toHaveLength(0);
  });

  it("a non-importable modify is rejected for worker processes", () => {
    const plugin = new WandbPlugin({ project: "p" });
    const tracker = plugin.trialTracker({ modify: (_t, p) => p });
    expect(
      () =>
        new Trial.Task(targetFunction, Scheduler.withProcesses({ maxWorkers: 1 }), {
          plugins: [tracker],
        }),
    ).toThrow(/importable/);
  });

  it("WandbParams rejects bad input by name", () => {
    expect(() => new WandbParams({ mode: "offlne" as never })).toThrow(
      /mode must be one of offline, online, disabled, got "offlne"/,
    );
    expect(() => new WandbParams({ protocol: "w&b" as never })).toThrow(
      /protocol must be one of amltk, wandb, got "w&b"/,
    );
    expect(new WandbParams({ protocol: "wandb" }).modify({ tags: ["a"] }).protocol).toBe("wandb");
    expect(() => new WandbParams({ tag: ["x"] } as never)).toThrow(
      /WandbParams: unknown option "tag" \(did you mean "tags"\?\)/,
    );
    expect(() => new WandbPlugin({}).trialTracker({ jobtype: "x" } as never)).toThrow(
      /trialTracker: unknown option "jobtype" \(did you mean "jobType"\?\)/,
    );
    expect(() => new WandbParams({ tags: "x" as never })).toThrow(/tags must be an array/);
    expect(() => new WandbPlugin({ project: "p" }).trialTracker({ modify: 3 as never })).toThrow(
      /modify must be a function, got number/,
    );
  });

  it("WandbParams.modify returns a changed copy", () => {
    const a = new WandbParams({ project: "p", tags: ["a"] });
    const b = a.modify({ tags: ["b"] });
    expect(a.tags).toEqual(["a"]);
    expect(b.tags).toEqual(["b"]);
    expect(b.project).toBe("p");
    expect(b.config({ x: 1, y: 2 })).toEqual({ x: 1, y: 2 });
    expect(a.modify({ configExclude: ["y"] }).config({ x: 1, y: 2 })).toEqual({ x: 1 });
    // Lists are copies and frozen: mutating them cannot leak into other trials' params.
    const tags = ["t"];
    const c = new WandbParams({ tags });
    tags.push("u");
    expect(c.tags).toEqual(["t"]);
    expect(() => (c.tags as string[]).push("v")).toThrow(TypeError);
  });
});
