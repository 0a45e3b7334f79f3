import { describe, expect, it } from "vitest";
import { RemoteError } from "./executors/processes.js";
import { Scheduler } from "./scheduler.js";
import { fail, hang, pid, square } from "./test-fixtures/fns.js";

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
});
