import { describe, expect, it } from "vitest";
import { CancelledError } from "./executors/executor.js";
import { Scheduler } from "./scheduler.js";

const square = (x: number) => x * x;

describe("cancellation (sequential)", () => {
  it("a cancelled pending future gives onFutureCancelled and task onCancelled", async () => {
    const s = Scheduler.withSequential();
    const t = s.task(square);
    const log: string[] = [];
    s.on("onFutureCancelled", () => log.push("future"));
    t.on("onCancelled", () => log.push("task"));
    s.on("onStart", () => {
      t.submit(1)!.cancel();
    });
    const exit = await s.run({ onCancelled: "continue" });
    expect(exit.code).toBe("EXHAUSTED");
    expect(log).toEqual(["future", "task"]);
    expect(s.eventCounts.onFutureResult).toBeUndefined();
  });

  it("onCancelled end gives CANCELLED; raise rejects with CancelledError", async () => {
    const s = Scheduler.withSequential();
    s.on("onStart", () => s.submit(square, 1).cancel());
    expect((await s.run({ onCancelled: "end" })).code).toBe("CANCELLED");
    await expect(s.run()).rejects.toBeInstanceOf(CancelledError);
  });

  it("wait: false cancels queued work when stopped", async () => {
    const s = Scheduler.withSequential();
    const t = s.task(square);
    s.on("onStart", () => {
      for (let i = 0; i < 5; i++) t.submit(i);
    });
    t.on("onResult", () => s.stop(), { maxCalls: 1 });
    const exit = await s.run({ wait: false });
    expect(exit.code).toBe("STOPPED");
    expect(s.eventCounts.onFutureResult).toBe(1);
    expect(s.eventCounts.onFutureCancelled).toBe(4);
    expect(s.empty()).toBe(true);
  });
});
