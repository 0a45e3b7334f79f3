import { describe, expect, it } from "vitest";
import { RemoteError } from "./executors/processes.js";
import { Scheduler } from "./scheduler.js";
import { fail, hang, square } from "./test-fixtures/fns.js";

describe("Scheduler.withThreads", () => {
  it("refuses a non-importable function at Task creation", () => {
    const s = Scheduler.withThreads({ maxWorkers: 1 });
    expect(() => s.task((x: number) => x)).toThrow(/importable/);
  });

  it("runs calls in worker threads and reports exceptions", async () => {
    const s = Scheduler.withThreads({ maxWorkers: 2 });
    const t = s.task(square);
    const f = s.task(fail);
    const results: number[] = [];
    const errors: unknown[] = [];
    t.on("onResult", (_f, r) => results.push(r));
    f.on("onException", (_f, e) => errors.push(e));
    s.on("onStart", () => {
      for (const x of [1, 2, 3]) t.submit(x);
      f.submit("nope");
    });
    const exit = await s.run({ onException: "continue" });
    expect(exit.code).toBe("EXHAUSTED");
    expect(results.sort((a, b) => a - b)).toEqual([1, 4, 9]);
    expect(errors[0]).toBeInstanceOf(RemoteError);
  }, 30_000);

  it("terminates a hung thread with wait: false", async () => {
    const s = Scheduler.withThreads({ maxWorkers: 1 });
    const t = s.task(hang);
    s.on("onStart", () => {
      t.submit();
      s.callLater(0.2, () => s.stop());
    });
    expect((await s.run({ wait: false })).code).toBe("STOPPED");
  }, 30_000);
});
