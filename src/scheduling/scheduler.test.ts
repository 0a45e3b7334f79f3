import { describe, expect, it } from "vitest";
import { Emitter, UnknownEventError } from "./events.js";
import { Scheduler, SchedulerNotRunningError } from "./scheduler.js";
import { type AnyFn, Limiter, Plugin, Task } from "./task.js";

const square = (x: number) => x * x;
class BoomError extends Error {}
class OtherError extends Error {}

describe("Emitter", () => {
  it("throws naming an unknown event", () => {
    const e = new Emitter<{ a: [] }>(["a"]);
    expect(() => e.on("nope" as "a", () => {})).toThrow(UnknownEventError);
    expect(() => e.on("nope" as "a", () => {})).toThrow(/"nope"/);
  });

  it("supports repeat, every, maxCalls, when, hidden and order", () => {
    const e = new Emitter<{ a: [number] }>(["a"]);
    const log: string[] = [];
    e.on("a", () => log.push("r"), { repeat: 2 });
    e.on("a", () => log.push("e"), { every: 2 });
    e.on("a", () => log.push("m"), { maxCalls: 1 });
    e.on("a", (n) => log.push(`w${n}`), { when: (n) => n > 1, hidden: true });
    e.emit("a", 1);
    e.emit("a", 2);
    expect(log).toEqual(["r", "r", "m", "r", "r", "e", "w2"]);
    expect(e.counts).toEqual({ a: 2 });
    expect(e.subscribers("a")).toHaveLength(3);
  });
});

describe("Scheduler (sequential)", () => {
  it("emits events in amltk's order with counts", async () => {
    const s = Scheduler.withSequential();
    const task = s.task(square);
    const log: string[] = [];
    for (const n of [
      "onStart",
      "onFutureSubmitted",
      "onFutureDone",
      "onFutureResult",
      "onEmpty",
      "onFinishing",
      "onFinished",
    ] as const) {
      s.on(n, () => log.push(n));
    }
    for (const n of ["onSubmitted", "onDone", "onResult"] as const) {
      task.on(n, () => log.push(`task.${n}`));
    }
    const results: number[] = [];
    task.on("onResult", (_f, r) => results.push(r));
    s.on("onStart", () => {
      task.submit(3);
    });
    const exit = await s.run();
    expect(exit.code).toBe("EXHAUSTED");
    expect(results).toEqual([9]);
    expect(log).toEqual([
      "onStart",
      "onFutureSubmitted",
      "task.onSubmitted",
      "onFutureDone",
      "onFutureResult",
      "task.onDone",
      "task.onResult",
      "onEmpty",
      "onFinishing",
      "onFinished",
    ]);
    expect(s.eventCounts).toMatchObject({ onStart: 1, onFutureResult: 1, onFinished: 1 });
    expect(s.running()).toBe(false);
  });

  it("completes on a later turn, never synchronously", async () => {
    const s = Scheduler.withSequential();
    let doneInSameTurn = false;
    s.on("onStart", () => {
      let sync = true;
      s.on("onFutureDone", () => {
        doneInSameTurn = sync;
      });
      s.submit(square, 2);
      sync = false;
    });
    await s.run();
    expect(doneInSameTurn).toBe(false);
  });

  it("chains submissions from onResult", async () => {
    const s = Scheduler.withSequential();
    const task = s.task(square);
    const seen: number[] = [];
    s.on("onStart", () => task.submit(1));
    task.on("onResult", (_f, r) => {
      seen.push(r);
      if (seen.length < 5) task.submit(seen.length + 1);
    });
    const exit = await s.run();
    expect(exit.code).toBe("EXHAUSTED");
    expect(seen).toEqual([1, 4, 9, 16, 25]);
    expect(s.eventCounts.onFutureSubmitted).toBe(5);
  });

  it("times out with wait: true and still reports the running call", async () => {
    const s = Scheduler.withSequential();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = async () => {
      await gate;
      return "late";
    };
    const results: unknown[] = [];
    s.on("onStart", () => s.submit(slow));
    s.on("onFutureResult", (_f, r) => results.push(r));
    s.on("onTimeout", () => release());
    const exit = await s.run({ timeout: 0.01, wait: true });
    expect(exit.code).toBe("TIMEOUT");
    expect(results).toEqual(["late"]);
    expect(s.eventCounts.onTimeout).toBe(1);
  });

  it("keeps running with endOnEmpty false until a `when` handler stops it", async () => {
    const s = Scheduler.withSequential();
    const task = s.task(square);
    s.on("onStart", () => task.submit(1), { repeat: 3 });
    task.on("onResult", () => s.stop("enough"), {
      when: () => (s.eventCounts.onFutureResult ?? 0) >= 3,
    });
    const stops: unknown[] = [];
    s.on("onStop", (msg) => stops.push(msg));
    const exit = await s.run({ endOnEmpty: false });
    expect(exit).toMatchObject({ code: "STOPPED", message: "enough" });
    expect(stops).toEqual(["enough"]);
    expect(s.eventCounts.onFutureResult).toBe(3);
  });

  it("fills workers with repeat and counts every n-th emission", async () => {
    const s = Scheduler.withSequential();
    const task = s.task(square);
    let everyCalls = 0;
    s.on("onStart", () => task.submit(2), { repeat: 4 });
    s.on("onFutureResult", () => everyCalls++, { every: 2 });
    await s.run();
    expect(s.eventCounts.onFutureSubmitted).toBe(4);
    expect(everyCalls).toBe(2);
  });

  it("keeps the run alive for work submitted from onEmpty", async () => {
    const s = Scheduler.withSequential();
    const order: string[] = [];
    s.on("onEmpty", () => s.submit(square, 5), { maxCalls: 1 });
    s.on("onFutureResult", () => order.push("result"));
    s.on("onFinished", () => order.push("finished"));
    const exit = await s.run();
    expect(exit.code).toBe("EXHAUSTED");
    expect(order).toEqual(["result", "finished"]);
    expect(s.eventCounts.onEmpty).toBe(2);
  });

  const boom = () => {
    throw new BoomError("boom");
  };

  it("onException raise rejects run", async () => {
    const s = Scheduler.withSequential();
    s.on("onStart", () => s.submit(boom));
    await expect(s.run()).rejects.toBeInstanceOf(BoomError);
    expect(s.eventCounts.onFutureException).toBe(1);
    expect(s.eventCounts.onFinished).toBe(1);
  });

  it("onException end returns EXCEPTION", async () => {
    const s = Scheduler.withSequential();
    s.on("onStart", () => s.submit(boom));
    const exit = await s.run({ onException: "end" });
    expect(exit.code).toBe("EXCEPTION");
    expect(exit.exception).toBeInstanceOf(BoomError);
  });

  it("onException continue keeps going", async () => {
    const s = Scheduler.withSequential();
    s.on("onStart", () => s.submit(boom), { repeat: 3 });
    const exit = await s.run({ onException: "continue" });
    expect(exit.code).toBe("EXHAUSTED");
    expect(s.eventCounts.onFutureException).toBe(3);
  });

  it("onException mapping: first instanceof match wins, no match raises", async () => {
    const s = Scheduler.withSequential();
    s.on("onStart", () => {
      s.submit(boom);
      s.submit(boom);
    });
    const exit = await s.run({
      onException: [
        [BoomError, "continue"],
        [Error, "end"],
      ],
    });
    expect(exit.code).toBe("EXHAUSTED");

    const s2 = Scheduler.withSequential();
    s2.on("onStart", () => {
      s2.submit(() => {
        throw new OtherError("x");
      });
    });
    const exit2 = await s2.run({
      onException: [
        [BoomError, "continue"],
        [Error, "end"],
      ],
    });
    expect(exit2.code).toBe("EXCEPTION");
    expect(exit2.exception).toBeInstanceOf(OtherError);

    const s3 = Scheduler.withSequential();
    s3.on("onStart", () => s3.submit(boom));
    await expect(s3.run({ onException: [[OtherError, "continue"]] })).rejects.toBeInstanceOf(
      BoomError,
    );
  });

  it("applies onException to handler errors", async () => {
    const s = Scheduler.withSequential();
    s.on("onStart", () => {
      throw new BoomError("in handler");
    });
    const exit = await s.run({ onException: "end" });
    expect(exit.code).toBe("EXCEPTION");
  });

  it("Limiter: 10 attempts with maxCalls 2 give 2 submissions and 8 limit events", async () => {
    const s = Scheduler.withSequential();
    const task = new Task(square, s, { plugins: [new Limiter({ maxCalls: 2 })] });
    let limited = 0;
    task.on("callLimitReached", () => limited++);
    const futures: unknown[] = [];
    s.on("onStart", () => {
      for (let i = 0; i < 10; i++) futures.push(task.submit(i));
    });
    await s.run();
    expect(futures.filter((f) => f !== undefined)).toHaveLength(2);
    expect(limited).toBe(8);
    expect(s.eventCounts.onFutureSubmitted).toBe(2);
  });

  it("Limiter: maxConcurrent and notWhileRunning", async () => {
    const s = Scheduler.withSequential();
    const a = s.task(square, { plugins: [new Limiter({ maxConcurrent: 1 })] });
    const b = s.task(square, { plugins: [new Limiter({ notWhileRunning: a })] });
    let conc = 0;
    let disabled = 0;
    a.on("concurrentLimitReached", () => conc++);
    b.on("disabledDueToRunningTask", () => disabled++);
    s.on("onStart", () => {
      expect(a.submit(1)).toBeDefined();
      expect(a.submit(2)).toBeUndefined();
      expect(b.submit(3)).toBeUndefined();
    });
    await s.run();
    expect([conc, disabled]).toEqual([1, 1]);
  });

  it("refuses submit when not running, and run while running", async () => {
    const s = Scheduler.withSequential();
    expect(() => s.submit(square, 1)).toThrow(SchedulerNotRunningError);
    let second: Promise<unknown> | undefined;
    s.on("onStart", () => {
      second = s.run();
    });
    await s.run();
    await expect(second).rejects.toThrow(/already running/);
  });

  it("refuses unknown event names on scheduler and task", () => {
    const s = Scheduler.withSequential();
    expect(() => s.on("onBogus" as "onStart", () => {})).toThrow(/onBogus/);
    expect(() => s.task(square).on("onBogus", () => {})).toThrow(/onBogus/);
  });

  it("persists handlers and counts across runs", async () => {
    const s = Scheduler.withSequential();
    s.on("onStart", () => s.submit(square, 2));
    await s.run();
    await s.run();
    expect(s.eventCounts.onFutureResult).toBe(2);
  });

  it("emits onEmpty again after work submitted later (callLater) drains", async () => {
    const s = Scheduler.withSequential();
    s.on("onEmpty", () => s.callLater(0, () => s.submit(square, 3)), { maxCalls: 1 });
    s.on("onEmpty", () => s.stop("twice"), { when: () => s.eventCounts.onEmpty === 2 });
    const exit = await s.run({ endOnEmpty: false });
    expect(exit).toMatchObject({ code: "STOPPED", message: "twice" });
    expect(s.eventCounts.onFutureResult).toBe(1);
  });

  it("a plugin's preSubmit can wrap the function or veto", async () => {
    class Doubler extends Plugin {
      readonly name = "doubler";
      override preSubmit(fn: AnyFn, args: unknown[]): [AnyFn, unknown[]] | undefined {
        if (args[0] === 0) return undefined;
        return [async (...a: unknown[]) => 2 * ((await fn(...a)) as number), args];
      }
    }
    const s = Scheduler.withSequential();
    const t = s.task(square, { plugins: [new Doubler()] });
    const results: number[] = [];
    t.on("onResult", (_f, r) => results.push(r));
    s.on("onStart", () => {
      expect(t.submit(0)).toBeUndefined();
      t.submit(3);
    });
    await s.run();
    expect(results).toEqual([18]);
  });
});
