import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RemoteError } from "./executors/processes.js";
import { guardedWorkerPids } from "./executors/worker-groups.js";
import { Scheduler } from "./scheduler.js";
import { fail, hang, markOnExit, pid, spawnAndHang, square } from "./test-fixtures/fns.js";

describe("Scheduler.withProcesses", () => {
  it("refuses a function with no importable module at Task creation", () => {
    const s = Scheduler.withProcesses({ maxWorkers: 1 });
    expect(() => s.task((x: number) => x + 1)).toThrow(/importable/);
  });

  it("runs calls in worker processes", async () => {
    const s = Scheduler.withProcesses({ maxWorkers: 2 });
    const t = s.task(square);
    const p = s.task(pid);
    const results: number[] = [];
    const pids: number[] = [];
    t.on("onResult", (_f, r) => results.push(r));
    p.on("onResult", (_f, r) => pids.push(r));
    s.on("onStart", () => {
      for (const x of [1, 2, 3]) t.submit(x);
      p.submit();
    });
    const exit = await s.run();
    expect(exit.code).toBe("EXHAUSTED");
    expect(results.sort((a, b) => a - b)).toEqual([1, 4, 9]);
    expect(pids[0]).not.toBe(process.pid);
  }, 30_000);

  it("reports worker exceptions", async () => {
    const s = Scheduler.withProcesses({ maxWorkers: 1 });
    const t = s.task(fail);
    const errors: unknown[] = [];
    t.on("onException", (_f, e) => errors.push(e));
    s.on("onStart", () => t.submit("bad"));
    const exit = await s.run({ onException: "end" });
    expect(exit.code).toBe("EXCEPTION");
    expect(errors[0]).toBeInstanceOf(RemoteError);
    expect((errors[0] as Error).message).toBe("bad");
  }, 30_000);

  it("terminates hung workers with wait: false", async () => {
    const s = Scheduler.withProcesses({ maxWorkers: 1, graceSeconds: 0.5 });
    const t = s.task(hang);
    s.on("onStart", () => {
      t.submit();
      s.callLater(0.3, () => s.stop("bored"));
    });
    const exit = await s.run({ wait: false });
    expect(exit.code).toBe("STOPPED");
    expect(s.eventCounts.onFutureException).toBe(1);
  }, 30_000);

  it("fails the queue after three workers in a row die before starting", async () => {
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = "--import ./no-such-loader-amltk.mjs"; // children cannot start
    try {
      const s = Scheduler.withProcesses({ maxWorkers: 1 });
      const t = s.task(square);
      const errors: Error[] = [];
      t.on("onException", (_f, e) => errors.push(e as Error));
      s.on("onStart", () => {
        for (let i = 0; i < 20; i++) t.submit(i);
      });
      expect((await s.run({ onException: "continue" })).code).toBe("EXHAUSTED");
      expect(errors).toHaveLength(20);
      expect(errors.every((e) => e.name === "WorkerDiedError")).toBe(true);
      // Three calls died with a worker each; the other 17 failed at once.
      expect(errors.filter((e) => /Workers fail to start/.test(e.message))).toHaveLength(17);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
  }, 30_000);

  it("wait: false also terminates processes the worker started", async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), "amltk-")), "pid");
    const s = Scheduler.withProcesses({ maxWorkers: 1, graceSeconds: 0.5 });
    const t = s.task(spawnAndHang);
    s.on("onStart", () => {
      t.submit(pidFile);
    });
    // Poll for the grandchild's pid file via callLater (no sleeps in the test body).
    const check = () => {
      if (existsSync(pidFile) && readFileSync(pidFile, "utf8")) s.stop("spawned");
      else s.callLater(0.02, check);
    };
    s.on("onStart", check);
    const exit = await s.run({ wait: false });
    expect(exit.code).toBe("STOPPED");
    const gpid = Number(readFileSync(pidFile, "utf8"));
    const alive = () => {
      try {
        process.kill(gpid, 0);
      } catch {
        return false;
      }
      // A zombie awaiting its reaper counts as dead.
      const stat = `/proc/${gpid}/stat`;
      return !(existsSync(stat) && readFileSync(stat, "utf8").split(" ")[2] === "Z");
    };
    await expect.poll(alive, { timeout: 5000 }).toBe(false);
  }, 30_000);

  it("a graceful end lets workers exit normally (exit hooks run), and unlists them", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "amltk-")), "exited");
    const s = Scheduler.withProcesses({ maxWorkers: 1 });
    const t = s.task(markOnExit);
    s.on("onStart", () => t.submit(file));
    expect((await s.run()).code).toBe("EXHAUSTED");
    // The host said "bye" before disconnecting, so the worker did not take the disconnect
    // for its host dying (which would SIGKILL its group and skip exit hooks, e.g. a tracker's).
    expect(existsSync(file)).toBe(true);
    expect(guardedWorkerPids()).toEqual([]);
  }, 30_000);
});
