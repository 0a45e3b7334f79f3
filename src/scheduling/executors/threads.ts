/**
 * Host side of the threads executor: a {@link WorkerPool} of `worker_threads` Workers that
 * import the user's function by module URL + export name (same worker entry as processes).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { procUsage } from "./limits.js";
import { type PoolWorker, type WorkerHooks, WorkerPool } from "./pool.js";
import { parentRunsTsx } from "./processes.js";
import type { WorkerMsg } from "./wire.js";

function spawnWorker(memory: number | undefined): Worker {
  // A memory limit is the thread's V8 heap limit (resourceLimits), fixed when it starts.
  const resourceLimits =
    memory === undefined
      ? undefined
      : { maxOldGenerationSizeMb: Math.max(1, Math.ceil(memory / 2 ** 20)) };
  const js = new URL("./worker.js", import.meta.url);
  const built = existsSync(fileURLToPath(js));
  if (built && !parentRunsTsx()) return new Worker(js, { resourceLimits });
  // From source (tsx / vitest), or when the user's modules are TypeScript: worker threads ignore
  // `--import`, so register tsx in-thread before loading the worker.
  const entry = built ? js.href : new URL("./worker.ts", import.meta.url).href;
  const api = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const code = `import(${api}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, resourceLimits });
}

/**
 * Runs each call in a pool of worker threads. Functions must be importable.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler(new ThreadExecutor({ maxWorkers: 4 }));
 * ```
 */
export class ThreadExecutor extends WorkerPool {
  protected readonly memoryAtStart = true;

  constructor({ maxWorkers }: { maxWorkers: number }) {
    super(maxWorkers);
  }

  protected startWorker(hooks: WorkerHooks, memory: number | undefined): PoolWorker {
    const worker = spawnWorker(memory);
    let error: Error | undefined;
    let exited = false;
    worker.on("message", (m) => hooks.message(m as WorkerMsg));
    worker.on("error", (e) => {
      error = e;
    });
    // "exit" comes after the thread's last messages were delivered.
    worker.once("exit", (code) => {
      exited = true;
      const oom = (error as { code?: string } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY";
      hooks.exit({
        description: error
          ? `Worker thread died while running a call: ${error.name}: ${error.message}`
          : `Worker thread exited (code ${code}) while running a call`,
        outOfMemory: oom,
      });
    });
    return {
      post: (msg) => worker.postMessage(msg),
      kill: async () => {
        if (!exited) await worker.terminate();
      },
      // CPU time of this thread only; memory is limited by resourceLimits, not polled.
      usage: (tid) => (tid === undefined ? {} : { cpu: procUsage(process.pid, tid).cpu }),
      stop: async () => {
        if (!exited) await worker.terminate();
      },
    };
  }
}
