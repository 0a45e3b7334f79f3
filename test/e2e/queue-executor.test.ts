/**
 * The queue executor end to end: a real redis-server, real `amltk worker` processes, the
 * driver in this process. Results and errors (classes kept for limits and dead workers), Comm
 * both ways, many workers with concurrency (every call exactly once), modules that cannot be
 * imported or are outside `--allow`, stable job ids, re-attaching to a finished job.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BaseOptimizer } from "../../src/optim/base-optimizer.js";
import { optimize } from "../../src/optim/optimize.js";
import { MedianPruner } from "../../src/optim/pruners/index.js";
import { float, space } from "../../src/optim/space/index.js";
import { curve } from "../../src/optim/test-fixtures/objectives.js";
import type { Config } from "../../src/optim/types.js";
import { InvalidJobIdError } from "../../src/scheduling/executors/distributed/job-ids.js";
import { QueueExecutor } from "../../src/scheduling/executors/distributed/queue-executor.js";
import { moduleOf } from "../../src/scheduling/executors/executor.js";
import { WallTimeExceeded } from "../../src/scheduling/executors/limits.js";
import { RemoteError } from "../../src/scheduling/executors/wire.js";
import { Comm, type CommMessage } from "../../src/scheduling/plugins/comm.js";
import { Limits } from "../../src/scheduling/plugins/limits.js";
import { Scheduler } from "../../src/scheduling/scheduler.js";
import { chatty, fail, nap, square } from "../../src/scheduling/test-fixtures/fns.js";
import { Metric } from "../../src/trial/metric.js";
import { type RedisServer, redisAvailability, startRedis } from "../services/redis.js";
import { skipBecause } from "../skip.js";
import { countedSquare } from "./queue-fixtures.js";
import { ROOT, startWorker, stopAllWorkers } from "./queue-workers.js";

const REDIS = redisAvailability("queue executor");

/** Proposes the given configurations in order. */
class Fixed extends BaseOptimizer {
  #next = 0;
  constructor(private readonly configs: Config[]) {
    super({ space: space({ x: float(0, 100) }), metrics: new Metric("loss") });
  }
  protected propose(n: number): Config[] {
    const out = this.configs.slice(this.#next, this.#next + n);
    this.#next += out.length;
    return out;
  }
  override get exhausted(): boolean {
    return this.#next >= this.configs.length;
  }
}
const noRedis = skipBecause(!REDIS.found, "queue executor", REDIS.reason);

let queues = 0;
const nextQueue = () => `q${process.pid}-${++queues}`;
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-queue-"));
  dirs.push(d);
  return d;
}

describe.skipIf(noRedis)("Scheduler.withQueue on amltk worker processes", () => {
  let redis: RedisServer;
  /** Served by 4 worker processes x concurrency 2 for the whole file. */
  const SHARED = `shared${process.pid}`;
  beforeAll(async () => {
    redis = await startRedis();
    await Promise.all([1, 2, 3, 4].map(() => startWorker(redis.url, SHARED, { concurrency: 2 })));
  });
  afterAll(async () => {
    await stopAllWorkers();
    await redis?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function scheduler(queue: string, maxWorkers = 2): Scheduler {
    return Scheduler.withQueue({ connection: redis.url, queue, maxWorkers, reconcileSeconds: 0.5 });
  }

  it("runs calls on a worker: results, errors as RemoteError, the scheduler's events", async () => {
    const queue = SHARED;
    const s = scheduler(queue);
    const squares = s.task(square);
    const fails = s.task(fail);
    const results: number[] = [];
    const errors: unknown[] = [];
    squares.on("onResult", (_f, r) => results.push(r));
    fails.on("onException", (_f, e) => errors.push(e));
    s.on("onStart", () => {
      for (const x of [1, 2, 3, 4]) squares.submit(x);
      fails.submit("boom");
    });
    const exit = await s.run({ onException: "continue" });
    expect(exit.code).toBe("EXHAUSTED");
    expect(results.sort((a, b) => a - b)).toEqual([1, 4, 9, 16]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RemoteError);
    expect((errors[0] as Error).message).toBe("boom");
  });

  it("4 worker processes x concurrency 2 run 400 calls, each exactly once", async () => {
    const queue = SHARED;
    const dir = tmp();
    const s = scheduler(queue, 8);
    const task = s.task(countedSquare);
    const results: number[] = [];
    task.on("onResult", (_f, r) => results.push(r));
    s.on("onStart", () => {
      for (let x = 0; x < 400; x++) task.submit(dir, x);
    });
    await s.run();
    expect(results).toHaveLength(400);
    expect(results.reduce((a, b) => a + b, 0)).toBe(
      Array.from({ length: 400 }, (_, x) => x * x).reduce((a, b) => a + b, 0),
    );
    const runs = readFileSync(join(dir, "runs"), "utf8").trim().split("\n");
    expect(runs).toHaveLength(400);
    expect(new Set(runs).size).toBe(400);
  });

  it("enforces limits on the worker: a wallTime breach is a WallTimeExceeded here", async () => {
    const queue = SHARED;
    const s = scheduler(queue, 1);
    const task = s.task(nap, { plugins: [new Limits({ wallTime: 0.3 })] });
    const errors: unknown[] = [];
    task.on("onException", (_f, e) => errors.push(e));
    s.on("onStart", () => task.submit(30));
    await s.run({ onException: "continue" });
    expect(errors[0]).toBeInstanceOf(WallTimeExceeded);
    expect((errors[0] as Error).message).toMatch(/wallTime limit of 0.3s/);
  });

  it("carries Comm both ways: messages, a request answered by the driver, close before the result", async () => {
    const queue = SHARED;
    const s = scheduler(queue, 1);
    const task = s.task(chatty, { plugins: [new Comm.Plugin({ requestTimeout: 20 })] });
    const log: string[] = [];
    task.on("onCommOpen", () => log.push("open"));
    task.on("onCommMessage", (m: CommMessage) => log.push(`msg:${(m.data as { i: number }).i}`));
    task.on("onCommRequest", (m: CommMessage) => {
      log.push("request");
      m.respond(10);
    });
    task.on("onCommClose", () => log.push("close"));
    task.on("onResult", (_f, r) => log.push(`result:${r}`));
    s.on("onStart", () => task.submit(3));
    await s.run();
    expect(log).toEqual(["open", "msg:0", "msg:1", "msg:2", "request", "close", "result:30"]);
  });

  it("pruning over Comm: MedianPruner stops the bad curves at their first step", async () => {
    // As in optimize.test.ts on processes: two good curves together, then bad ones, each asked
    // after a good one finished, so each is pruned at step 0 by the driver's pruner.
    const { history } = await optimize({
      fn: curve,
      optimizer: new Fixed([{ x: 0 }, { x: 0 }, { x: 10 }, { x: 11 }]),
      scheduler: scheduler(SHARED, 2),
      maxTrials: 4,
      pruner: new MedianPruner({ nStartupTrials: 1 }),
    });
    const rows = history
      .toArray()
      .map((r) => [r.config.x, r.status, r.exception])
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(rows).toEqual([
      [0, "success", null],
      [0, "success", null],
      [10, "fail", "Pruned at step 0"],
      [11, "fail", "Pruned at step 0"],
    ]);
  });

  it("a module that cannot be imported fails the call, saying why", async () => {
    const queue = SHARED;
    const executor = new QueueExecutor({ connection: redis.url, queue, maxWorkers: 1 });
    const missing = pathToFileURL(join(tmp(), "nowhere.mjs")).href;
    const broken = join(tmp(), "broken.mjs");
    writeFileSync(broken, "export const f = () => 1;\nthrow new Error('broken at import');\n");
    try {
      const a = executor.submit({ moduleUrl: missing, exportName: "f", args: [] });
      const b = executor.submit({
        moduleUrl: pathToFileURL(broken).href,
        exportName: "f",
        args: [],
      });
      // Both are outside the default allowed root here: allow their folders by a worker of its own.
      const e1 = await a.promise.catch((e) => e);
      const e2 = await b.promise.catch((e) => e);
      expect(e1).toBeInstanceOf(RemoteError);
      expect((e1 as RemoteError).remoteCode).toBe("module_not_allowed");
      expect((e1 as Error).message).toMatch(/does not exist on this worker/);
      expect((e2 as RemoteError).remoteCode).toBe("module_not_allowed");
      expect((e2 as Error).message).toMatch(/outside the allowed roots/);
    } finally {
      await executor.shutdown({ wait: false });
    }
  });

  it("a module under --allow that throws at import fails the call with that error", async () => {
    const queue = nextQueue();
    const dir = tmp();
    const broken = join(dir, "broken.mjs");
    writeFileSync(broken, "export const f = () => 1;\nthrow new Error('broken at import');\n");
    await startWorker(redis.url, queue, { allow: [dir] });
    const executor = new QueueExecutor({ connection: redis.url, queue, maxWorkers: 1 });
    try {
      const err = await executor
        .submit({ moduleUrl: pathToFileURL(broken).href, exportName: "f", args: [] })
        .promise.catch((e) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect((err as Error).message).toBe("broken at import");
      const noExport = await executor
        .submit({ moduleUrl: pathToFileURL(join(dir, "x.mjs")).href, exportName: "f", args: [] })
        .promise.catch((e) => e);
      expect((noExport as Error).message).toMatch(/does not exist on this worker/);
    } finally {
      await executor.shutdown({ wait: false });
    }
  });

  it("a module outside --allow is refused without being imported", async () => {
    const queue = nextQueue();
    const dir = tmp();
    const marker = join(dir, "imported");
    const outside = join(dir, "outside.mjs");
    writeFileSync(
      outside,
      `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "yes");\nexport const f = () => 1;\n`,
    );
    await startWorker(redis.url, queue, { allow: [tmp()] });
    const executor = new QueueExecutor({ connection: redis.url, queue, maxWorkers: 1 });
    try {
      const err = await executor
        .submit({ moduleUrl: pathToFileURL(outside).href, exportName: "f", args: [] })
        .promise.catch((e) => e);
      expect((err as RemoteError).remoteCode).toBe("module_not_allowed");
      expect((err as Error).message).toContain(outside);
      expect(() => readFileSync(marker)).toThrow();
    } finally {
      await executor.shutdown({ wait: false });
    }
  });

  it("stable job ids: a second submit of an id is the same future and runs once", async () => {
    const queue = SHARED;
    const dir = tmp();
    const executor = new QueueExecutor({ connection: redis.url, queue, maxWorkers: 1 });
    const call = { fn: countedSquare, module: moduleOf(countedSquare), args: [dir, 7] };
    const f1 = executor.submit({ ...call, jobId: "sweep-a.t1" });
    expect(executor.submit({ ...call, jobId: "sweep-a.t1" })).toBe(f1);
    expect(() => executor.submit({ ...call, jobId: "a:b" })).toThrow(InvalidJobIdError);
    expect(() => executor.submit({ ...call, jobId: "12" })).toThrow(/Invalid job id "12"/);
    expect(await f1.promise).toBe(49);
    expect(readFileSync(join(dir, "runs"), "utf8")).toBe("7\n");
    await executor.shutdown({ wait: true });
  });

  it("a new driver re-attaches to a SIGKILLed driver's jobs: each runs once, every result collected", async () => {
    const queue = nextQueue();
    const dir = tmp();
    const driver = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "test/e2e/queue-driver.ts"),
        redis.url,
        queue,
        "d1",
        "sw.",
        "6",
        dir,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    driver.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise((r) => driver.once("exit", r));
    await waitFor(
      () => out.includes("submitted"),
      30_000,
      () => out,
    );
    driver.kill("SIGKILL");
    await exited;
    // Jobs may finish before the new driver attaches: their results wait in Redis.
    const worker = await startWorker(redis.url, queue);
    const resumed = new QueueExecutor({
      connection: redis.url,
      queue,
      maxWorkers: 1,
      driverId: "d1",
    });
    try {
      const jobs = await resumed.listJobs("sw.");
      expect(jobs.map((j) => j.id).sort()).toEqual([
        "sw.0",
        "sw.1",
        "sw.2",
        "sw.3",
        "sw.4",
        "sw.5",
      ]);
      const futures = await Promise.all(jobs.map((j) => resumed.attach<number>(j.id)));
      // Submitting an attached id again is the same call, not a second run.
      const again = resumed.submit({
        fn: countedSquare,
        module: moduleOf(countedSquare),
        args: [dir, 0],
        jobId: "sw.0",
      });
      expect(futures).toContain(again);
      const values = await Promise.all(futures.map((f) => f?.promise));
      expect(values.sort((a, b) => (a as number) - (b as number))).toEqual([0, 1, 4, 9, 16, 25]);
      const runs = readFileSync(join(dir, "runs"), "utf8").trim().split("\n").sort();
      expect(runs).toEqual(["0", "1", "2", "3", "4", "5"]);
      expect(await resumed.attach("sw.0")).toBeUndefined(); // taken: acknowledged and removed
    } finally {
      await resumed.shutdown({ wait: true });
      worker.signal("SIGTERM");
    }
  });
});

/** Resolves once `done()` holds; fails after `ms` with `what()` in the message. */
async function waitFor(done: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("amltk worker flags", () => {
  const cli = join(ROOT, "test", "e2e", "queue-worker-cli.ts");
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", cli, "worker", ...args], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.stderr?.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.once("exit", (code) => resolve({ code, out }));
    });

  it("refuses bad flags before connecting, naming the value", async () => {
    const url = ["--redis", "redis://127.0.0.1:1"];
    const [zero, noRedis, badQueue, noDir] = await Promise.all([
      run([...url, "--queue", "q", "--concurrency", "0"]),
      run(["--queue", "q"]),
      run([...url, "--queue", "a:b"]),
      run([...url, "--queue", "q", "--allow", "/nonexistent-amltk-dir"]),
    ]);
    expect(zero.code).toBe(1);
    expect(zero.out).toMatch(/--concurrency must be a positive integer, got "0"/);
    expect(noRedis.out).toMatch(/required option '--redis <url>'/);
    expect(badQueue.out).toMatch(/queue must be a name .* got "a:b"/);
    expect(noDir.out).toMatch(/--allow \/nonexistent-amltk-dir: no such folder/);
  });
});
