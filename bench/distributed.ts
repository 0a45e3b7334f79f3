/**
 * The queue executor (BullMQ on Redis) against raw BullMQ, on loopback, in one run; prints one
 * JSON object.
 *
 * - throughput: trivial calls per second with 2 and 4 worker processes at concurrency 1 and 4,
 *   side by side with raw BullMQ workers running the same jobs without amltk's layer (no child
 *   process, results through QueueEvents), all submitted at once; `ratio` = ours / raw. Plus
 *   Redis commands and driver CPU per call (INFO stats, process.cpuUsage).
 * - resultsPath: raw BullMQ at 4 workers with results read from QueueEvents vs from a list the
 *   workers push onto (what amltk's workers do): which path is faster, measured.
 * - latency: one call at a time (enqueue to result) at low load, p50/p99 in ms, ours and raw.
 * - scale: `Trial.Task` trials on 64 worker slots (16 workers x concurrency 4), 20,000 trials;
 *   lost and doubled counted from the results and from the trials' own run log.
 * - ray: the issue's figures for Ray on the same kind of machine, as references.
 *
 * Run: `npx tsx bench/distributed.ts [--calls N] [--scale-trials N] [--scale-workers W]
 * [--scale-concurrency C] [--no-scale]` (defaults 5000, 20000, 16, 4).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { QueueExecutor } from "../src/scheduling/executors/distributed/queue-executor.js";
import { moduleOf } from "../src/scheduling/executors/executor.js";
import { Scheduler } from "../src/scheduling/scheduler.js";
import { Metric, Trial } from "../src/trial/index.js";
import { ROOT, startWorker, stopAllWorkers } from "../test/e2e/queue-workers.js";
import { type RedisServer, startRedis } from "../test/services/redis.js";
import { countedTrial, inc } from "./distributed-fns.js";

const argv = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const CALLS = flag("--calls", 5000);
const SCALE_TRIALS = flag("--scale-trials", 20_000);
const SCALE_WORKERS = flag("--scale-workers", 16);
const SCALE_CONCURRENCY = flag("--scale-concurrency", 4);
const NO_SCALE = argv.includes("--no-scale");
const LATENCY_SAMPLES = 300;

let queues = 0;
const nextQueue = (what: string) => `bench-${what}-${++queues}`;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info("stats");
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

// ---- raw BullMQ ---------------------------------------------------------------------------

async function startRawWorkers(url: string, queue: string, n: number, c: number, results: string) {
  const script = join(ROOT, "bench", "distributed-raw-worker.ts");
  const children: ChildProcess[] = [];
  await Promise.all(
    Array.from({ length: n }, async () => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", script, url, queue, String(c), results],
        {
          cwd: ROOT,
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      children.push(child);
      await new Promise<void>((resolve) => {
        child.stdout?.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
      });
    }),
  );
  return async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((r) => {
            c.once("exit", () => r());
            c.kill("SIGKILL");
          }),
      ),
    );
  };
}

/** Raw BullMQ: `calls` trivial jobs added in bulk, results through QueueEvents or a list. */
async function rawRun(
  url: string,
  workers: number,
  c: number,
  calls: number,
  results: "events" | "list",
) {
  const name = nextQueue("raw");
  const stop = await startRawWorkers(url, name, workers, c, results);
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection: { url } as never });
  await events.waitUntilReady();
  const reader = new Redis(url, { maxRetriesPerRequest: null });
  const ops0 = await commandsProcessed(connection);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let done = 0;
  const finished = new Promise<void>((resolve) => {
    if (results === "events") {
      events.on("completed", () => {
        if (++done === calls) resolve();
      });
    } else {
      void (async () => {
        while (done < calls) {
          const got = (await reader.call(
            "BLMPOP",
            1,
            1,
            `raw:${name}:done`,
            "RIGHT",
            "COUNT",
            1000,
          )) as [string, string[]] | null;
          done += got?.[1].length ?? 0;
        }
        resolve();
      })();
    }
  });
  for (let i = 0; i < calls; i += 1000) {
    const n = Math.min(1000, calls - i);
    await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: "inc", data: { i: i + k } })));
  }
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ops = (await commandsProcessed(connection)) - ops0;
  await stop();
  await events.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  connection.disconnect();
  reader.disconnect();
  return {
    perSec: Math.round(calls / seconds),
    redisCommandsPerCall: round(ops / calls),
    driverCpuUsPerCall: Math.round((cpu.user + cpu.system) / calls),
  };
}

// ---- ours ---------------------------------------------------------------------------------

/** amltk: `calls` trivial calls submitted at once to `workers` amltk workers. */
async function oursRun(url: string, workers: number, c: number, calls: number) {
  const queue = nextQueue("amltk");
  await Promise.all(
    Array.from({ length: workers }, () => startWorker(url, queue, { concurrency: c })),
  );
  const executor = new QueueExecutor({ connection: url, queue, maxWorkers: workers * c });
  const call = (i: number) =>
    executor.submit<number>({ fn: inc, module: moduleOf(inc), args: [i] });
  // Warm-up: every worker slot has started its child process and imported the module.
  await Promise.all(Array.from({ length: workers * c * 4 }, (_, i) => call(i).promise));
  const probe = new Redis(url);
  const ops0 = await commandsProcessed(probe);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: calls }, (_, i) => call(i).promise));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ops = (await commandsProcessed(probe)) - ops0;
  probe.disconnect();
  await executor.shutdown({ wait: true });
  await stopAllWorkers();
  return {
    perSec: Math.round(calls / seconds),
    redisCommandsPerCall: round(ops / calls),
    driverCpuUsPerCall: Math.round((cpu.user + cpu.system) / calls),
  };
}

/** One call at a time, enqueue to result (ms), ours and raw. */
async function latency(url: string) {
  const queue = nextQueue("latency");
  await startWorker(url, queue, { concurrency: 1 });
  const executor = new QueueExecutor({ connection: url, queue, maxWorkers: 1 });
  const ours: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES + 20; i++) {
    const t0 = performance.now();
    await executor.submit({ fn: inc, module: moduleOf(inc), args: [i] }).promise;
    if (i >= 20) ours.push(performance.now() - t0); // the first ones start the child
  }
  await executor.shutdown({ wait: true });
  await stopAllWorkers();

  const rawName = nextQueue("raw-latency");
  const stop = await startRawWorkers(url, rawName, 1, 1, "events");
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const rawQueue = new Queue(rawName, { connection });
  const events = new QueueEvents(rawName, { connection: { url } as never });
  await events.waitUntilReady();
  const raw: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES + 20; i++) {
    const t0 = performance.now();
    const job = await rawQueue.add("inc", { i });
    await job.waitUntilFinished(events);
    if (i >= 20) raw.push(performance.now() - t0);
  }
  await stop();
  await events.close();
  await rawQueue.close();
  connection.disconnect();
  const summary = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { p50Ms: round(percentile(s, 0.5), 2), p99Ms: round(percentile(s, 0.99), 2) };
  };
  return { samples: LATENCY_SAMPLES, amltk: summary(ours), rawBullmq: summary(raw) };
}

/** Trial.Task trials on workers x concurrency slots: rate, lost and doubled. */
async function scale(url: string) {
  const queue = nextQueue("scale");
  const dir = mkdtempSync(join(tmpdir(), "amltk-bench-scale-"));
  const file = join(dir, "runs");
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: SCALE_WORKERS }, () =>
      startWorker(url, queue, { concurrency: SCALE_CONCURRENCY }),
    ),
  );
  const startupS = (performance.now() - t0) / 1000;
  const scheduler = Scheduler.withQueue({
    connection: url,
    queue,
    maxWorkers: SCALE_WORKERS * SCALE_CONCURRENCY,
  });
  const task = new Trial.Task<{ file: string; i: number }>(countedTrial, scheduler);
  const seen = new Map<string, number>();
  let crashed = 0;
  task.on("onReport", (r) => {
    seen.set(r.name, (seen.get(r.name) ?? 0) + 1);
    if (r.status !== "success") crashed++;
  });
  scheduler.on("onStart", () => {
    for (let i = 0; i < SCALE_TRIALS; i++) {
      task.submit(new Trial({ name: `t${i}`, config: { file, i }, metrics: [new Metric("cost")] }));
    }
  });
  const t1 = performance.now();
  await scheduler.run();
  const seconds = (performance.now() - t1) / 1000;
  const runs = readFileSync(file, "utf8").trim().split("\n");
  const ranTwice = runs.length - new Set(runs).size;
  await stopAllWorkers();
  rmSync(dir, { recursive: true, force: true });
  return {
    slots: SCALE_WORKERS * SCALE_CONCURRENCY,
    workers: SCALE_WORKERS,
    concurrency: SCALE_CONCURRENCY,
    trials: SCALE_TRIALS,
    trialsPerSec: Math.round(SCALE_TRIALS / seconds),
    seconds: round(seconds),
    workerStartupSeconds: round(startupS),
    reports: [...seen.values()].reduce((a, b) => a + b, 0),
    lost: SCALE_TRIALS - seen.size,
    doubledReports: [...seen.values()].filter((n) => n > 1).length,
    ranTwice,
    notSuccess: crashed,
  };
}

async function main(): Promise<void> {
  const redis: RedisServer = await startRedis();
  try {
    const throughput: Record<string, unknown>[] = [];
    for (const workers of [2, 4]) {
      for (const c of [1, 4]) {
        const raw = await rawRun(redis.url, workers, c, CALLS, "events");
        const ours = await oursRun(redis.url, workers, c, CALLS);
        throughput.push({
          workers,
          concurrency: c,
          calls: CALLS,
          amltk: ours,
          rawBullmq: raw,
          ratio: round(ours.perSec / raw.perSec, 2),
        });
      }
    }
    const events = await rawRun(redis.url, 4, 1, CALLS, "events");
    const list = await rawRun(redis.url, 4, 1, CALLS, "list");
    const out = {
      bench: "distributed",
      machine: {
        cpus: (await import("node:os")).cpus().length,
        load1: (await import("node:os")).loadavg()[0],
      },
      redis: "redis-server 7, persistence off, loopback",
      throughput,
      resultsPath: {
        workers: 4,
        concurrency: 1,
        queueEventsPerSec: events.perSec,
        listPerSec: list.perSec,
      },
      latency: await latency(redis.url),
      scale: NO_SCALE ? "skipped (--no-scale)" : await scale(redis.url),
      ray: {
        source: "issue 12 text (measured on this kind of machine, 2 cores; not run here: no Ray)",
        rayRemoteTasksPerSec: "1,700-2,060",
        rayTuneDefaultTrialsPerSec: 1.0,
        rayTuneReuseActorsTrialsPerSec: "40-43",
      },
    };
    console.log(JSON.stringify(out, null, 1));
  } finally {
    await stopAllWorkers();
    await redis.stop();
  }
}

await main();
