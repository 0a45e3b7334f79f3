/**
 * The queue executor's faults, each with real redis-server and real `amltk worker` processes:
 * a worker SIGKILLed mid-trial (a crashed report exactly once, never a silent second run),
 * Redis SIGKILLed and restarted with AOF mid-sweep (nothing lost or doubled), and a worker's
 * graceful SIGTERM (finish within the grace; then hand back with retries, or crash without).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WorkerDiedError } from "../../src/scheduling/executors/pool.js";
import { Comm, type CommMessage } from "../../src/scheduling/plugins/comm.js";
import { Scheduler } from "../../src/scheduling/scheduler.js";
import { gated } from "../../src/scheduling/test-fixtures/fns.js";
import { Metric } from "../../src/trial/metric.js";
import type { TrialReport } from "../../src/trial/report.js";
import { Trial } from "../../src/trial/trial.js";
import { TrialTask } from "../../src/trial/trial-task.js";
import { type RedisServer, redisAvailability, startRedis } from "../services/redis.js";
import { skipBecause } from "../skip.js";
import { countedSquare, heldTrial, heldUntilReleased } from "./queue-fixtures.js";
import { startWorker, stopAllWorkers } from "./queue-workers.js";

const REDIS = redisAvailability("queue executor faults");
const noRedis = skipBecause(!REDIS.found, "queue executor faults", REDIS.reason);

let queues = 0;
const nextQueue = () => `f${process.pid}-${++queues}`;
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-queue-fault-"));
  dirs.push(d);
  return d;
}

/** Resolves once `done()` holds; fails after `ms` with `what()` in the message. */
async function waitFor(done: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const runsIn = (dir: string): string[] =>
  existsSync(join(dir, "runs")) ? readFileSync(join(dir, "runs"), "utf8").trim().split("\n") : [];

describe.skipIf(noRedis)("queue executor faults", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ aof: true });
  });
  afterEach(async () => {
    await stopAllWorkers();
  });
  afterAll(async () => {
    await redis?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("a worker SIGKILLed mid-trial: the trial is reported crashed exactly once and never run again", async () => {
    const queue = nextQueue();
    const dir = tmp();
    const worker = await startWorker(redis.url, queue, { lockSeconds: 1, stalledInterval: 0.5 });
    const s = Scheduler.withQueue({
      connection: redis.url,
      queue,
      maxWorkers: 1,
      stalledIntervalSeconds: 0.5,
      reconcileSeconds: 0.5,
    });
    const task = new TrialTask<{ dir: string; x: number }>(heldTrial, s);
    const reports: TrialReport[] = [];
    task.on("onReport", (r) => {
      reports.push(r);
      if (r.name === "held") {
        // After the crash: a new worker gets the next trial, and must not see "held" again.
        writeFileSync(join(dir, "release"), "");
        task.submit(
          new Trial({ name: "after", config: { dir, x: 3 }, metrics: [new Metric("cost")] }),
        );
        void startWorker(redis.url, queue);
      }
    });
    s.on("onStart", () => {
      task.submit(
        new Trial({ name: "held", config: { dir, x: 2 }, metrics: [new Metric("cost")] }),
      );
      void waitFor(
        () => existsSync(join(dir, "started-held")),
        30_000,
        () => worker.output(),
      ).then(() => process.kill(-worker.pid, "SIGKILL"));
    });
    await s.run({ timeout: 60 });
    expect(reports.map((r) => [r.name, r.status])).toEqual([
      ["held", "crashed"],
      ["after", "success"],
    ]);
    expect(String(reports[0]?.exception)).toMatch(/stopped responding.*not run again/);
    expect(runsIn(dir)).toEqual(["held", "after"]);
  });

  it("Redis SIGKILLed and restarted (AOF) mid-sweep: every call runs once, no result lost or doubled", async () => {
    const queue = nextQueue();
    const dir = tmp();
    await Promise.all(
      [1, 2].map(() => startWorker(redis.url, queue, { concurrency: 2, lockSeconds: 10 })),
    );
    const s = Scheduler.withQueue({
      connection: redis.url,
      queue,
      maxWorkers: 4,
      reconcileSeconds: 0.5,
    });
    const task = s.task(countedSquare);
    const results = new Map<number, number>();
    let doubled = 0;
    let restarted = false;
    const N = 300;
    task.on("onResult", (f, v) => {
      if (results.has(f.id)) doubled++;
      results.set(f.id, v);
      if (!restarted && results.size >= 60) {
        restarted = true;
        void redis.restart();
      }
    });
    s.on("onStart", () => {
      for (let x = 0; x < N; x++) task.submit(dir, x);
    });
    const exit = await s.run({ timeout: 120 });
    expect(exit.code).toBe("EXHAUSTED");
    expect(restarted).toBe(true);
    expect(doubled).toBe(0);
    expect(results.size).toBe(N);
    const values = [...results.values()].sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: N }, (_, x) => x * x));
    const runs = runsIn(dir).map(Number);
    expect(new Set(runs).size).toBe(N);
    expect(runs).toHaveLength(N);
  });

  it("SIGTERM: the worker takes no new job and finishes the running one within the grace", async () => {
    const queue = nextQueue();
    const dir = tmp();
    const worker = await startWorker(redis.url, queue, { grace: 60 });
    const s = Scheduler.withQueue({
      connection: redis.url,
      queue,
      maxWorkers: 1,
      reconcileSeconds: 0.5,
    });
    const task = s.task(heldUntilReleased);
    const results: string[] = [];
    task.on("onResult", (_f, v) => {
      results.push(v);
      if (v === "a") void startWorker(redis.url, queue); // "b" waits for a worker that takes jobs
    });
    s.on("onStart", () => {
      task.submit(dir, "a");
      void waitFor(
        () => existsSync(join(dir, "started-a")),
        30_000,
        () => worker.output(),
      ).then(async () => {
        task.submit(dir, "b");
        worker.signal("SIGTERM");
        await waitFor(() => /taking no new jobs/.test(worker.output()), 10_000, worker.output);
        writeFileSync(join(dir, "release"), "");
      });
    });
    await s.run({ timeout: 60 });
    expect(results).toEqual(["a", "b"]);
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(runsIn(dir)).toEqual(["a", "b"]);
  });

  it("SIGTERM past the grace: a call with a retry left is handed back and run by another worker", async () => {
    const queue = nextQueue();
    const dir = tmp();
    const worker = await startWorker(redis.url, queue, { grace: 0.2 });
    const s = Scheduler.withQueue({
      connection: redis.url,
      queue,
      maxWorkers: 1,
      retries: 1,
      reconcileSeconds: 0.5,
    });
    const task = s.task(heldUntilReleased);
    const results: string[] = [];
    task.on("onResult", (_f, v) => results.push(v));
    s.on("onStart", () => {
      task.submit(dir, "a");
      void waitFor(
        () => existsSync(join(dir, "started-a")),
        30_000,
        () => worker.output(),
      ).then(async () => {
        worker.signal("SIGTERM");
        await worker.exited;
        writeFileSync(join(dir, "release"), "");
        await startWorker(redis.url, queue);
      });
    });
    await s.run({ timeout: 60 });
    expect(results).toEqual(["a"]);
    expect(runsIn(dir)).toEqual(["a", "a"]); // run again, as the retry allowed
  });

  it("SIGTERM past the grace without retries: the call is reported crashed once, not run again", async () => {
    const queue = nextQueue();
    const dir = tmp();
    const worker = await startWorker(redis.url, queue, { grace: 0.2 });
    const s = Scheduler.withQueue({
      connection: redis.url,
      queue,
      maxWorkers: 1,
      reconcileSeconds: 0.5,
    });
    const task = s.task(heldUntilReleased);
    const errors: unknown[] = [];
    task.on("onException", (_f, e) => errors.push(e));
    s.on("onStart", () => {
      task.submit(dir, "a");
      void waitFor(
        () => existsSync(join(dir, "started-a")),
        30_000,
        () => worker.output(),
      ).then(() => worker.signal("SIGTERM"));
    });
    await s.run({ timeout: 60, onException: "continue" });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(WorkerDiedError);
    expect((errors[0] as Error).message).toMatch(/not run again: the call allows no retries/);
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(runsIn(dir)).toEqual(["a"]);
  });
  it("a Comm reply sent while the worker's Redis connection is down still reaches the call", async () => {
    const queue = nextQueue();
    await startWorker(redis.url, queue, { concurrency: 1 });
    const s = Scheduler.withQueue({ connection: redis.url, queue, maxWorkers: 1 });
    const task = s.task(gated, { plugins: [new Comm.Plugin({ requestTimeout: 60 })] });
    const admin = new Redis(redis.url);
    let cut = 0;
    try {
      task.on("onCommRequest", async (m: CommMessage) => {
        // Drop the worker's Comm connection, as a Redis restart does, and answer at once:
        // the answer is sent before that connection is back.
        const clients = String(await admin.client("LIST")).split("\n");
        for (const line of clients.filter((l) => /name=amltk-worker-\S+-sub /.test(l))) {
          await admin.client("KILL", "ID", /id=(\d+)/.exec(line)?.[1] as string);
          cut++;
        }
        m.respond(true);
      });
      const results: unknown[] = [];
      task.on("onResult", (_f, v) => results.push(v));
      s.on("onStart", () => task.submit("through"));
      const exit = await s.run({ timeout: 30 });
      expect(cut).toBe(1);
      expect(exit.code).toBe("EXHAUSTED");
      expect(results).toEqual(["through"]);
    } finally {
      admin.disconnect();
    }
  });
});
