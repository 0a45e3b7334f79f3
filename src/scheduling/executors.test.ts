/**
 * The scheduler's behaviours, run on each executor: sequential, threads and processes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueSuite } from "../../test/e2e/queue-suite.js";
import { skipBecause } from "../../test/skip.js";
import { UnknownOptionError } from "../shared/options.js";
import { UnknownEventError } from "./events.js";
import {
  CpuTimeExceeded,
  MemoryLimitExceeded,
  UnsupportedLimitError,
  WallTimeExceeded,
} from "./executors/limits.js";
import { ProcessExecutor } from "./executors/processes.js";
import { UncloneableError } from "./executors/wire.js";
import { Comm, type CommMessage, CommTimeoutError } from "./plugins/comm.js";
import { Limits } from "./plugins/limits.js";
import { Scheduler, SchedulerNotRunningError } from "./scheduler.js";
import { Limiter, Task } from "./task.js";
import { childPids } from "./test-fixtures/children.js";
import {
  bufferHog,
  burn,
  chatty,
  dieHard,
  fail,
  gated,
  hang,
  hog,
  listens,
  nap,
  sendsFunction,
  square,
  unanswered,
} from "./test-fixtures/fns.js";

type Kind = "sequential" | "threads" | "processes" | "queue";
/** The queue executor: a private redis-server and two `amltk worker` processes. */
const queue = queueSuite("Scheduler on queue");
const KINDS: Kind[] = ["sequential", "threads", "processes", ...queue.kinds];

function make(kind: Kind, maxWorkers = 2): Scheduler {
  if (kind === "sequential") return Scheduler.withSequential();
  if (kind === "threads") return Scheduler.withThreads({ maxWorkers });
  if (kind === "queue") return queue.scheduler(maxWorkers);
  return Scheduler.withProcesses({ maxWorkers, graceSeconds: 0.5 });
}

describe.each(KINDS)("Scheduler on %s", (kind) => {
  if (kind === "queue") {
    beforeAll(() => queue.start(), 120_000);
    afterAll(() => queue.stop());
  }
  /** A running call on a queue worker cannot be stopped from the driver: it runs to its end. */
  const runsToItsEnd = skipBecause(
    kind === "queue",
    "stopping a running call (timeout with wait: false, no child left) on queue",
    "a job already running on an amltk worker cannot be stopped from the driver (its " +
      "future ends at once; the call runs to its end or its Limits): it would hold a worker " +
      "slot of this suite forever",
  );
  /** The sequential executor runs each call in this process: there is no worker to use. */
  const noWorker = skipBecause(
    kind === "sequential",
    "worker tests on sequential",
    "it runs calls in this process: there is no worker to move to, kill or cross to",
  );

  it("emits every event in order, per call, with counts", async () => {
    const s = make(kind);
    const t = s.task(square);
    const log: string[] = [];
    const id = (f: { id: number }) => f.id;
    for (const n of ["onStart", "onEmpty", "onFinishing", "onFinished"] as const) {
      s.on(n, () => log.push(n));
    }
    s.on("onFutureSubmitted", (f) => log.push(`submitted:${id(f)}`));
    s.on("onFutureDone", (f) => log.push(`done:${id(f)}`));
    s.on("onFutureResult", (f) => log.push(`result:${id(f)}`));
    t.on("onSubmitted", (f) => log.push(`task.submitted:${id(f)}`));
    t.on("onDone", (f) => log.push(`task.done:${id(f)}`));
    t.on("onResult", (f) => log.push(`task.result:${id(f)}`));
    const results: number[] = [];
    t.on("onResult", (_f, r) => results.push(r));
    const futures: { id: number }[] = [];
    s.on("onStart", () => {
      for (const x of [1, 2, 3]) futures.push(t.submit(x) as { id: number });
    });
    const exit = await s.run();
    expect(exit.code).toBe("EXHAUSTED");
    expect(results.sort((a, b) => a - b)).toEqual([1, 4, 9]);
    expect(log[0]).toBe("onStart");
    expect(log.slice(-3)).toEqual(["onEmpty", "onFinishing", "onFinished"]);
    for (const f of futures) {
      const mine = log.filter((l) => l.endsWith(`:${f.id}`)).map((l) => l.split(":")[0]);
      expect(mine).toEqual([
        "submitted",
        "task.submitted",
        "done",
        "result",
        "task.done",
        "task.result",
      ]);
    }
    expect(s.eventCounts).toMatchObject({
      onStart: 1,
      onFutureSubmitted: 3,
      onFutureDone: 3,
      onFutureResult: 3,
      onEmpty: 1,
      onFinishing: 1,
      onFinished: 1,
    });
  });

  it("timeout with wait: true lets the running call finish and report", async () => {
    const s = make(kind);
    const t = s.task(gated, { plugins: [new Comm.Plugin()] });
    const asks: CommMessage[] = [];
    // The call waits for an answer that is only given once the run timed out.
    t.on("onCommRequest", (msg) => {
      if (s.eventCounts.onTimeout) msg.respond("go");
      else asks.push(msg);
    });
    s.on("onTimeout", () => {
      for (const msg of asks) msg.respond("go");
    });
    const results: string[] = [];
    t.on("onResult", (_f, r) => results.push(r));
    s.on("onStart", () => t.submit("late"));
    const exit = await s.run({ timeout: 0.05, wait: true });
    expect(exit.code).toBe("TIMEOUT");
    expect(results).toEqual(["late"]);
    expect(s.eventCounts.onTimeout).toBe(1);
  });

  it.skipIf(runsToItsEnd)("timeout with wait: false stops the running call", async () => {
    const s = make(kind);
    const t = s.task(hang);
    s.on("onStart", () => t.submit());
    const exit = await s.run({ timeout: 0.1, wait: false });
    expect(exit.code).toBe("TIMEOUT");
    expect(s.eventCounts.onFutureException).toBe(1);
    expect(s.eventCounts.onFutureResult).toBeUndefined();
    expect(s.empty()).toBe(true);
  });

  it("chains submissions from onResult", async () => {
    const s = make(kind);
    const t = s.task(square);
    const seen: number[] = [];
    s.on("onStart", () => t.submit(1));
    t.on("onResult", (_f, r) => {
      seen.push(r);
      if (seen.length < 5) t.submit(seen.length + 1);
    });
    expect((await s.run()).code).toBe("EXHAUSTED");
    expect(seen).toEqual([1, 4, 9, 16, 25]);
  });

  it("endOnEmpty: false runs until a `when` handler stops it; repeat and every", async () => {
    const s = make(kind);
    const t = s.task(square);
    let everyCalls = 0;
    s.on("onStart", () => t.submit(2), { repeat: 4 });
    s.on("onFutureResult", () => everyCalls++, { every: 2 });
    t.on("onResult", () => s.stop("enough"), {
      when: () => (s.eventCounts.onFutureResult ?? 0) >= 4,
    });
    const exit = await s.run({ endOnEmpty: false });
    expect(exit).toMatchObject({ code: "STOPPED", message: "enough" });
    expect(s.eventCounts.onFutureSubmitted).toBe(4);
    expect(everyCalls).toBe(2);
  });

  it("onException: raise, end, continue", async () => {
    const s1 = make(kind);
    s1.on("onStart", () => s1.task(fail).submit("raised"));
    await expect(s1.run()).rejects.toThrow("raised");
    expect(s1.eventCounts.onFinished).toBe(1);

    const s2 = make(kind);
    s2.on("onStart", () => s2.task(fail).submit("ended"));
    const exit2 = await s2.run({ onException: "end" });
    expect(exit2.code).toBe("EXCEPTION");
    expect((exit2.exception as Error).message).toBe("ended");

    const s3 = make(kind);
    const t3 = s3.task(fail);
    s3.on("onStart", () => t3.submit("again"), { repeat: 3 });
    expect((await s3.run({ onException: "continue" })).code).toBe("EXHAUSTED");
    expect(s3.eventCounts.onFutureException).toBe(3);
  });

  it("onException mapping by error class: first match wins", async () => {
    const s = make(kind);
    const limited = s.task(nap, { plugins: [new Limits({ wallTime: 0.05 })] });
    const failing = s.task(fail);
    s.on("onStart", () => limited.submit(30));
    // After the (continued) limit breach, a plain error ends the run.
    limited.on("onException", () => failing.submit("then this"));
    const errors: unknown[] = [];
    s.on("onFutureException", (_f, e) => errors.push(e));
    const exit = await s.run({
      onException: [
        [WallTimeExceeded, "continue"],
        [Error, "end"],
      ],
    });
    expect(exit.code).toBe("EXCEPTION");
    expect(errors[0]).toBeInstanceOf(WallTimeExceeded);
    expect((exit.exception as Error).message).toBe("then this");
  });

  it("Limiter: 10 attempts with maxCalls 2 give 2 submissions and 8 limit events", async () => {
    const s = make(kind);
    const t = new Task(square, s, { plugins: [new Limiter({ maxCalls: 2 })] });
    let limited = 0;
    t.on("callLimitReached", () => limited++);
    const futures: unknown[] = [];
    s.on("onStart", () => {
      for (let i = 0; i < 10; i++) futures.push(t.submit(i));
    });
    await s.run();
    expect(futures.filter((f) => f !== undefined)).toHaveLength(2);
    expect(limited).toBe(8);
    expect(s.eventCounts.onFutureResult).toBe(2);
  });

  it("Limits: wall time and CPU time breaches are typed exceptions naming the limit", async () => {
    const s = make(kind);
    const slow = s.task(nap, { plugins: [new Limits({ wallTime: 0.1 })] });
    const busy = s.task(burn, { plugins: [new Limits({ cpuTime: 0.1 })] });
    const errors: unknown[] = [];
    s.on("onFutureException", (_f, e) => errors.push(e));
    s.on("onStart", () => {
      slow.submit(30);
      busy.submit(30);
    });
    await s.run({ onException: "continue" });
    const wall = errors.find((e) => e instanceof WallTimeExceeded) as WallTimeExceeded;
    const cpu = errors.find((e) => e instanceof CpuTimeExceeded) as CpuTimeExceeded;
    expect(errors).toHaveLength(2);
    expect(wall.message).toMatch(/WallTimeExceeded.*0\.1s/);
    expect(cpu.message).toMatch(/CpuTimeExceeded.*0\.1s/);
    expect([wall.limit, cpu.limit]).toEqual(["wallTime", "cpuTime"]);
  });

  it
    .skipIf(
      skipBecause(
        kind !== "processes" && kind !== "queue",
        `Limits: memory on ${kind}`,
        "the RSS limit belongs to worker processes (threads refuse it, sequential has no worker)",
      ),
    )
    .each([
      ["JS heap", hog],
      ["Buffers", bufferHog],
    ] as const)(
    "Limits: memory counts the worker's RSS (%s): MemoryLimitExceeded",
    async (_what, fn) => {
      const s = make(kind);
      const t = s.task(fn, { plugins: [new Limits({ memory: 200 * 2 ** 20 })] });
      const errors: unknown[] = [];
      t.on("onException", (_f, e) => errors.push(e));
      s.on("onStart", () => t.submit(1200));
      await s.run({ onException: "continue" });
      expect(errors[0]).toBeInstanceOf(MemoryLimitExceeded);
      expect((errors[0] as Error).message).toMatch(/209715200 bytes/);
    },
  );

  const notThreads = skipBecause(
    kind !== "threads",
    `Limits: memory refused on ${kind}`,
    "only threads refuse it (they share one RSS)",
  );
  it.skipIf(notThreads)("Limits: memory is refused at Task creation, saying why", () => {
    const s = make(kind);
    const limits = new Limits({ memory: 2 ** 30 });
    const create = () => s.task(bufferHog, { plugins: [limits] });
    expect(create).toThrow(UnsupportedLimitError);
    expect(create).toThrow(/memory cannot be enforced on the threads executor.*withProcesses/s);
    // Limits that threads can enforce are still accepted.
    expect(() =>
      s.task(burn, { plugins: [new Limits({ cpuTime: 1, wallTime: 1 })] }),
    ).not.toThrow();
  });

  it("Comm: messages, a request answered by the host, open/close once", async () => {
    const s = make(kind);
    const t = s.task(chatty, { plugins: [new Comm.Plugin()] });
    const log: string[] = [];
    t.on("onCommOpen", () => log.push("open"));
    t.on("onCommMessage", (msg) => log.push(`message ${JSON.stringify(msg.data)}`));
    t.on("onCommRequest", (msg) => {
      log.push(`request ${msg.data}`);
      msg.respond(10);
      expect(() => msg.respond(11)).toThrow(/already answered/);
    });
    t.on("onCommClose", () => log.push("close"));
    t.on("onResult", (_f, r) => log.push(`result ${r}`));
    s.on("onStart", () => t.submit(3));
    await s.run();
    expect(log).toEqual([
      "open",
      'message {"i":0}',
      'message {"i":1}',
      'message {"i":2}',
      "request factor?",
      "close",
      "result 30",
    ]);
    expect(t.events.counts).toMatchObject({ onCommMessage: 3, onCommRequest: 1, onCommClose: 1 });
  });

  it("Comm: an unanswered request times out; unclonable data is refused by name", async () => {
    const s = make(kind);
    const plugins = [new Comm.Plugin()];
    const a = s.task(unanswered, { plugins });
    const b = s.task(sendsFunction, { plugins: [new Comm.Plugin()] });
    const errors: Error[] = [];
    s.on("onFutureException", (_f, e) => errors.push(e as Error));
    s.on("onStart", () => {
      a.submit();
      b.submit();
    });
    await s.run({ onException: "continue" });
    const names = errors.map((e) => e.name).sort();
    expect(names).toEqual(["CommTimeoutError", "UncloneableError"]);
    if (kind === "sequential") expect(errors.some((e) => e instanceof CommTimeoutError)).toBe(true);
    expect(errors.find((e) => e.name === "UncloneableError")?.message).toMatch(/data\.callback/);
  });

  it("Comm: the host can send to the running call", async () => {
    const s = make(kind);
    const t = s.task(listens, { plugins: [new Comm.Plugin()] });
    t.on("onCommOpen", (msg) => msg.send({ hello: "call" }));
    const results: unknown[] = [];
    t.on("onResult", (_f, r) => results.push(r));
    s.on("onStart", () => t.submit());
    await s.run();
    expect(results).toEqual([{ hello: "call" }]);
  });

  it("every future ends exactly once when stopped mid-bulk with wait: false", async () => {
    const s = make(kind);
    const t = s.task(square);
    const ended = new Map<number, number>();
    const end = (f: { id: number }) => ended.set(f.id, (ended.get(f.id) ?? 0) + 1);
    s.on("onFutureDone", end);
    s.on("onFutureCancelled", end);
    s.on("onStart", () => {
      for (let i = 0; i < 500; i++) t.submit(i);
    });
    t.on("onResult", () => s.stop(), { when: () => (s.eventCounts.onFutureResult ?? 0) >= 50 });
    const exit = await s.run({ wait: false, onCancelled: "continue" });
    expect(exit.code).toBe("STOPPED");
    expect(ended.size).toBe(500);
    expect([...ended.values()].every((n) => n === 1)).toBe(true);
    expect(s.eventCounts.onFutureResult).toBeGreaterThanOrEqual(50);
    expect(s.empty()).toBe(true);
  });

  it.skipIf(noWorker)(
    "calls queued behind a slow one move to an idle worker; every result arrives once",
    async () => {
      const s = make(kind, 2);
      const fast = s.task(square);
      const slow = s.task(nap);
      const results = new Map<number, number>();
      fast.on("onResult", (f, r) => {
        expect(results.has(f.id)).toBe(false);
        results.set(f.id, r);
      });
      const expected = new Map<number, number>();
      const submitFast = (x: number) => expected.set((fast.submit(x) as { id: number }).id, x * x);
      s.on("onStart", () => {
        for (let i = 0; i < 400; i++) submitFast(i);
        slow.submit(0.3);
        for (let i = 400; i < 800; i++) submitFast(i);
      });
      await s.run();
      expect(results).toEqual(expected);
      expect(s.eventCounts.onFutureResult).toBe(801);
    },
  );

  it.skipIf(noWorker)(
    "a worker death fails only the call it was running; pipelined calls still run",
    async () => {
      const s = make(kind, 1);
      const t = s.task(square);
      const killer = s.task(dieHard);
      const errors: unknown[] = [];
      killer.on("onException", (_f, e) => errors.push(e));
      s.on("onStart", () => {
        for (let i = 0; i < 300; i++) t.submit(i);
        killer.submit();
        for (let i = 0; i < 300; i++) t.submit(i);
      });
      await s.run({ onException: "continue" });
      expect(s.eventCounts.onFutureResult).toBe(600);
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).name).toBe("WorkerDiedError");
      expect((errors[0] as Error).message).toMatch(kind === "threads" ? /code 7/ : /SIGKILL/);
    },
  );

  it("bad input gives clear errors", async () => {
    const s = make(kind);
    const t = s.task(square);
    expect(() => t.submit(1)).toThrow(SchedulerNotRunningError);
    expect(() => t.on("onNope", () => {})).toThrow(UnknownEventError);
    expect(() => new Limits({ wallTime: -1 })).toThrow(RangeError);
    expect(() => new Limits({ cpuTime: Number.NaN })).toThrow(/cpuTime/);
    expect(() => new Limits({ wallTme: 1 } as never)).toThrow(
      /Limits: unknown option "wallTme" \(did you mean "wallTime"\?\)/,
    );
    expect(() => new Comm.Plugin({ requestTimeuot: 1 } as never)).toThrow(UnknownOptionError);
    expect(() => Scheduler.withThreads({ maxWorker: 2 } as never)).toThrow(/"maxWorkers"/);
    expect(() => new ProcessExecutor({ maxWorkers: 1, graceSecs: 1 } as never)).toThrow(
      /ProcessExecutor: unknown option "graceSecs" \(did you mean "graceSeconds"\?\)/,
    );
    expect(() => s.task(square, { plugin: [] } as never)).toThrow(
      /Task: unknown option "plugin" \(did you mean "plugins"\?\)/,
    );
    expect(() => new Limiter({ maxCall: 1 } as never)).toThrow(/"maxCalls"/);
    await expect(s.run({ endOnEmtpy: true } as never)).rejects.toThrow(
      /Scheduler.run: unknown option "endOnEmtpy" \(did you mean "endOnEmpty"\?\)/,
    );
    expect(() => new Comm.Plugin({ requestTimeout: 0 })).toThrow(RangeError);
    expect(() => Scheduler.withThreads({ maxWorkers: 0 })).toThrow(/maxWorkers/);
    expect(() => Scheduler.withProcesses({ maxWorkers: 1.5 })).toThrow(/maxWorkers/);
    if (kind === "sequential") return;
    let err: unknown;
    s.on("onStart", () => {
      try {
        t.submit((() => 1) as unknown as number);
      } catch (e) {
        err = e;
      }
    });
    await s.run();
    expect(err).toBeInstanceOf(UncloneableError);
    expect((err as Error).message).toMatch(/args\[0\] \(a function/);
  });

  it.skipIf(runsToItsEnd)("leaves no child process behind", async () => {
    const before = childPids(process.pid);
    const s = make(kind);
    const t = s.task(square);
    const h = s.task(hang);
    s.on("onStart", () => {
      t.submit(2);
      h.submit();
    });
    t.on("onResult", () => s.stop());
    await s.run({ wait: false });
    expect(childPids(process.pid)).toEqual(before);
  });
});
