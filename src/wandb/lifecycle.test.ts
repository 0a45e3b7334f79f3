/**
 * How runs open and close around trials in every worker shape: several trials per worker
 * process, concurrent runs in one process, disabled mode, and trials that fail, throw or
 * kill their worker.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Scheduler } from "../scheduling/scheduler.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { isPruned } from "../trial/pruning.js";
import type { TrialReport } from "../trial/report.js";
import { Trial } from "../trial/trial.js";
import type { TrialFn } from "../trial/trial-task.js";
import { type TrialTrackerOptions, WandbPlugin } from "./index.js";
import {
  fails,
  killsWorker,
  killsWorkerAfterFlush,
  modifyReturnsNothing,
  pruned,
  targetFunction,
  throws,
  waitsForPeers,
} from "./test-fixtures/fns.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-wandb-life-"));
  dirs.push(d);
  return d;
}

/** Submits every config at start (all in flight at once) and collects the reports. */
async function runAll<C extends Record<string, unknown>>(
  scheduler: Scheduler,
  fn: TrialFn<C>,
  configs: C[],
  dir: string,
  options: TrialTrackerOptions & { mode?: "offline" | "disabled" } = {},
): Promise<TrialReport[]> {
  const { mode, ...trackerOptions } = options;
  const plugin = new WandbPlugin({ project: "life", dir, mode });
  const task = new Trial.Task<C>(fn, scheduler, { plugins: [plugin.trialTracker(trackerOptions)] });
  const reports: TrialReport[] = [];
  scheduler.on("onStart", () => {
    configs.forEach((config, i) => {
      task.submit(new Trial<C>({ name: `trial-${i}`, config }));
    });
  });
  task.on("onReport", (r) => {
    reports.push(r);
  });
  await scheduler.run();
  return reports.sort((a, b) => a.name.localeCompare(b.name));
}

async function readRuns(dir: string) {
  const store = await SqliteStore.open(dir);
  try {
    const { runs } = await store.listRuns();
    runs.sort((a, b) => a.name.localeCompare(b.name));
    const keys = await Promise.all(runs.map((r) => store.historyKeys(r.id)));
    const rows = await Promise.all(runs.map((r) => store.readHistory(r.id)));
    return runs.map((run, i) => ({ run, keys: keys[i]!, rows: rows[i]! }));
  } finally {
    await store.close();
  }
}

const XYZ = [
  { x: 1, y: 2, z: 3 },
  { x: -1, y: 2, z: 3 },
  { x: -1, y: 3, z: 4 },
];

describe("WandbPlugin run lifecycle", () => {
  it("one worker process runs several trials, each in its own finished run", async () => {
    const dir = tmp();
    const reports = await runAll(
      Scheduler.withProcesses({ maxWorkers: 1 }),
      targetFunction,
      XYZ,
      dir,
    );
    expect(reports.map((r) => r.status)).toEqual(["success", "success", "success"]);
    const runs = await readRuns(dir);
    expect(runs.map((r) => r.run.name)).toEqual(["trial-0", "trial-1", "trial-2"]);
    // The same worker process (not this one) owned all three runs.
    expect(new Set(runs.map((r) => r.run.pid)).size).toBe(1);
    expect(runs[0]!.run.pid).not.toBe(process.pid);
    runs.forEach(({ run, keys }, i) => {
      expect(run.state).toBe("finished");
      expect(run.config).toEqual(XYZ[i]);
      expect(keys.find((k) => k.key === "loss")?.count).toBe(10);
      expect(run.summary.cost).toBe(XYZ[i]!.y + XYZ[i]!.z);
    });
  });

  it("concurrent runs in one process (threads) keep their own config, history and summary", async () => {
    const dir = tmp();
    const barrier = join(dir, "barrier");
    const configs = XYZ.slice(0, 2).map((c) => ({ ...c, barrier, peers: 2 }));
    const reports = await runAll(
      Scheduler.withThreads({ maxWorkers: 2 }),
      waitsForPeers,
      configs,
      dir,
    );
    expect(reports.map((r) => r.status)).toEqual(["success", "success"]);
    const runs = await readRuns(dir);
    expect(runs).toHaveLength(2);
    runs.forEach(({ run, rows }, i) => {
      expect(run.pid).toBe(process.pid); // threads: both runs live in this very process
      expect(run.state).toBe("finished");
      expect(run.config).toMatchObject(XYZ[i]!);
      const c = XYZ[i]!;
      const losses = rows.filter((r) => "loss" in r.values).map((r) => r.values.loss);
      expect(losses).toEqual(
        Array.from({ length: 10 }, (_, s) => s * c.x + 3 * (s * c.y) - (s * c.z) ** 2),
      );
      expect(run.summary.cost).toBe(c.y + c.z);
    });
  });

  it('mode "disabled" runs the same path on processes and writes nothing', async () => {
    const dir = tmp();
    const reports = await runAll(
      Scheduler.withProcesses({ maxWorkers: 2 }),
      targetFunction,
      XYZ,
      dir,
      {
        mode: "disabled",
      },
    );
    // The function got a run (it logs through trial.plugins.wandb) and succeeded.
    expect(reports.map((r) => r.status)).toEqual(["success", "success", "success"]);
    expect(existsSync(join(dir, "amltk.db"))).toBe(false);
  });

  it("a reported failure finishes the run as failed with a non-zero exit code", async () => {
    const dir = tmp();
    const reports = await runAll(
      Scheduler.withProcesses({ maxWorkers: 1 }),
      fails,
      XYZ.slice(0, 1),
      dir,
    );
    expect(reports[0]!.status).toBe("fail");
    const [{ run, keys }] = (await readRuns(dir)) as [Awaited<ReturnType<typeof readRuns>>[0]];
    expect(run.state).toBe("failed");
    expect(run.exitCode).toBe(1);
    expect(keys.find((k) => k.key === "loss")?.count).toBe(10);
  });

  it("a pruned trial closes its run as pruned (exit code 0); its report stays a fail", async () => {
    const dir = tmp();
    const reports = await runAll(
      Scheduler.withProcesses({ maxWorkers: 1 }),
      pruned,
      XYZ.slice(0, 1),
      dir,
    );
    expect(reports[0]!.status).toBe("fail");
    expect(isPruned(reports[0]!)).toBe(true);
    const [{ run, keys }] = (await readRuns(dir)) as [Awaited<ReturnType<typeof readRuns>>[0]];
    expect(run.state).toBe("pruned");
    expect(run.exitCode).toBe(0);
    expect(keys.find((k) => k.key === "loss")?.count).toBe(3);
  });

  it("a function that throws closes its run as crashed, with the error logged", async () => {
    const dir = tmp();
    const reports = await runAll(
      Scheduler.withProcesses({ maxWorkers: 1 }),
      throws,
      XYZ.slice(0, 1),
      dir,
    );
    expect(reports[0]!.status).toBe("crashed");
    const [{ run, rows }] = (await readRuns(dir)) as [Awaited<ReturnType<typeof readRuns>>[0]];
    expect(run.state).toBe("crashed");
    expect(run.exitCode).toBe(1);
    expect(rows.some((r) => String(r.values.exception).includes("boom"))).toBe(true);
  });

  it("a worker that dies mid-trial leaves its run crashed, not running", async () => {
    const dir = tmp();
    const reports = await runAll(
      Scheduler.withProcesses({ maxWorkers: 1 }),
      killsWorker,
      XYZ.slice(0, 1),
      dir,
    );
    expect(reports[0]!.status).toBe("crashed");
    // Read the row directly: the plugin closed it at the report, not a reader's reaping.
    const store = SqliteStore.openSync(dir);
    try {
      const states = store.db.prepare("SELECT state FROM runs").all() as { state: string }[];
      expect(states).toEqual([{ state: "crashed" }]);
    } finally {
      store.closeSync();
    }
  });

  it("a worker killed before its run's first write: the host records that run crashed, from the trial", async () => {
    const dir = tmp();
    const reports = await runAll(
      Scheduler.withProcesses({ maxWorkers: 1 }),
      killsWorker,
      XYZ.slice(0, 1),
      dir,
      { jobType: "eval" },
    );
    expect(reports[0]!.status).toBe("crashed");
    const runs = await readRuns(dir);
    expect(runs).toHaveLength(1);
    const [{ run, rows }] = runs as [(typeof runs)[0]];
    expect(run).toMatchObject({ name: "trial-0", project: "life", jobType: "eval" });
    expect(run.state).toBe("crashed");
    expect(run.pid).toBeNull(); // written by the host, which does not own it
    expect(run.config).toEqual(XYZ[0]);
    expect(rows).toEqual([]); // the point was still in the worker's memory
  });

  it("a worker killed after its run's first write: one run, crashed, with what it stored", async () => {
    const dir = tmp();
    const reports = await runAll(
      Scheduler.withProcesses({ maxWorkers: 1 }),
      killsWorkerAfterFlush,
      XYZ.slice(0, 1),
      dir,
    );
    expect(reports[0]!.status).toBe("crashed");
    const runs = await readRuns(dir);
    expect(runs).toHaveLength(1);
    const [{ run, rows }] = runs as [(typeof runs)[0]];
    expect(run.state).toBe("crashed");
    expect(run.pid).not.toBe(process.pid); // the worker's own row, not one the host wrote
    expect(rows.map((r) => r.values.loss)).toEqual([1]);
  });

  it("a modify that returns no params crashes the trial with a message saying so", async () => {
    const dir = tmp();
    const reports = await runAll(
      Scheduler.withProcesses({ maxWorkers: 1 }),
      targetFunction,
      XYZ.slice(0, 1),
      dir,
      {
        modify: modifyReturnsNothing,
      },
    );
    expect(reports[0]!.status).toBe("crashed");
    expect(reports[0]!.exception).toMatch(/modify must return WandbParams.*got undefined/);
  });

  it("a non-importable modify is refused at task creation on threads too", () => {
    const tracker = new WandbPlugin({ project: "p" }).trialTracker({ modify: (_t, p) => p });
    expect(
      () =>
        new Trial.Task(targetFunction, Scheduler.withThreads({ maxWorkers: 1 }), {
          plugins: [tracker],
        }),
    ).toThrow(/modify "modify" cannot reach the worker.*importable/);
  });
});
