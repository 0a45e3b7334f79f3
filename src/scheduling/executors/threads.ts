/**
 * Host side of the threads executor: a {@link WorkerPool} of `worker_threads` Workers that
 * import the user's function by module URL + export name (same worker entry as processes).
 *
 * Memory limits are refused here (see {@link ThreadExecutor.assertLimits}): a V8 heap limit per
 * thread misses Buffers and ArrayBuffers (4 GB were allocated under a 1 GiB limit), and the
 * process's real memory is shared by every thread and the scheduler itself.
 *
 * Each thread is linked to the host's termination (`src/shared/termination-threads.ts`): a
 * thread gets no signals of its own, so when the host is ended by SIGINT, SIGTERM or SIGHUP it
 * runs each thread's cleanups (a tracked run is written and closed as failed, 130/143/129)
 * before the process dies, waiting up to `graceSeconds`.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";
import { linkThreadTermination } from "../../shared/termination-threads.js";
import type { LimitSpec } from "./executor.js";
import { procUsage, UnsupportedLimitError } from "./limits.js";
import { type PoolWorker, type WorkerHooks, WorkerPool } from "./pool.js";
import { resolvePoolOptions, type WorkerPoolOptions } from "./pool-options.js";
import { parentRunsTsx } from "./processes.js";
import type { WorkerMsg } from "./wire.js";

function spawnWorker(options: WorkerOptions): Worker {
  const js = new URL("./worker.js", import.meta.url);
  const built = existsSync(fileURLToPath(js));
  if (built && !parentRunsTsx()) return new Worker(js, options);
  // From source (tsx / vitest), or when the user's modules are TypeScript: worker threads ignore
  // `--import`, so register tsx in-thread before loading the worker.
  const entry = built ? js.href : new URL("./worker.ts", import.meta.url).href;
  const api = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const code = `import(${api}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { ...options, eval: true });
}

/**
 * Runs each call in a pool of worker threads. Functions must be importable.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler(new ThreadExecutor({ maxWorkers: 4, graceSeconds: 2 }));
 * ```
 */
export class ThreadExecutor extends WorkerPool {
  /**
   * Seconds the host, ended by a signal, waits in all for its threads' termination cleanups
   * (a tracked run written and closed) before the process dies.
   */
  readonly graceSeconds: number;

  constructor(options: WorkerPoolOptions) {
    const { maxWorkers, graceSeconds } = resolvePoolOptions(options, "ThreadExecutor");
    super(maxWorkers);
    this.graceSeconds = graceSeconds;
  }

  /**
   * Refuses `memory`: the only real measure, the process's resident set, belongs to every
   * thread and to the scheduler at once, so no single call's use can be told from it.
   */
  override assertLimits(limits: LimitSpec): void {
    if (limits.memory === undefined) return;
    throw new UnsupportedLimitError(
      "memory",
      "threads",
      "worker threads share one process, whose memory (RSS) counts every thread and the " +
        "scheduler, so one call's use cannot be measured (a thread's V8 heap limit would miss " +
        "Buffers and ArrayBuffers). Use Scheduler.withProcesses(...) for memory limits, or " +
        "drop `memory` from Limits.",
    );
  }

  protected startWorker(hooks: WorkerHooks): PoolWorker {
    const { link, release } = linkThreadTermination(this.graceSeconds * 1000);
    const worker = spawnWorker({ workerData: { termination: link }, transferList: [link.port] });
    let error: Error | undefined;
    let exited = false;
    worker.on("message", (m) => hooks.message(m as WorkerMsg));
    worker.on("error", (e) => {
      error = e;
    });
    // "exit" comes after the thread's last messages were delivered.
    worker.once("exit", (code) => {
      exited = true;
      release();
      hooks.exit({
        description: error
          ? `Worker thread died while running a call: ${error.name}: ${error.message}`
          : `Worker thread exited (code ${code}) while running a call`,
      });
    });
    return {
      post: (msg) => worker.postMessage(msg),
      kill: async () => {
        if (!exited) await worker.terminate();
      },
      // CPU time of this thread only (memory limits are refused on threads).
      usage: (tid) => (tid === undefined ? {} : { cpu: procUsage(process.pid, tid).cpu }),
      stop: async () => {
        if (!exited) await worker.terminate();
      },
    };
  }
}
