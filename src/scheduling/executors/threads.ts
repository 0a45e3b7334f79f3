/**
 * Host side of the threads executor: a pool of `worker_threads` Workers that import the
 * user's function by module URL + export name (same worker entry as the processes executor).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
  type Call,
  type Executor,
  Future,
  type ModuleCall,
  type ShutdownOptions,
} from "./executor.js";
import { parentRunsTsx, RemoteError, toModuleCall } from "./processes.js";

function spawnWorker(): Worker {
  const js = new URL("./worker.js", import.meta.url);
  const built = existsSync(fileURLToPath(js));
  if (built && !parentRunsTsx()) return new Worker(js);
  // From source (tsx / vitest), or when the user's modules are TypeScript: worker threads ignore
  // `--import`, so register tsx in-thread before loading the worker.
  const entry = built ? js.href : new URL("./worker.ts", import.meta.url).href;
  const api = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const code = `import(${api}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true });
}

interface Slot {
  worker: Worker;
  job?: { id: number; future: Future<unknown> };
}

export class ThreadExecutor implements Executor {
  readonly maxWorkers: number;
  readonly requiresImportable = true;
  #slots: Slot[] = [];
  #queue: { call: ModuleCall; future: Future<unknown> }[] = [];
  #idle: (() => void)[] = [];

  constructor({ maxWorkers }: { maxWorkers: number }) {
    if (!Number.isInteger(maxWorkers) || maxWorkers < 1) {
      throw new RangeError(`maxWorkers must be a positive integer, got ${maxWorkers}`);
    }
    this.maxWorkers = maxWorkers;
  }

  submit<T = unknown>(call: Call): Future<T> {
    const mc = toModuleCall(call);
    const future = new Future<T>();
    const item = { call: mc, future: future as Future<unknown> };
    future.setCanceller(() => {
      const i = this.#queue.indexOf(item);
      if (i < 0) return false;
      this.#queue.splice(i, 1);
      return true;
    });
    this.#queue.push(item);
    this.#pump();
    return future;
  }

  #spawn(): Slot {
    const worker = spawnWorker();
    const slot: Slot = { worker };
    worker.on("message", (m: { id: number; ok: boolean; value?: unknown; error?: never }) => {
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      slot.job = undefined;
      if (m.ok) job.future.setResult(m.value);
      else job.future.setException(new RemoteError(m.error ?? { name: "Error", message: "?" }));
      this.#pump();
    });
    const fail = (err: Error) => {
      this.#slots = this.#slots.filter((s) => s !== slot);
      const job = slot.job;
      slot.job = undefined;
      job?.future.setException(err);
      this.#pump();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`Worker thread exited (code ${code})`)));
    this.#slots.push(slot);
    return slot;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.job);
      if (!slot) {
        if (this.#slots.length >= this.maxWorkers) break;
        slot = this.#spawn();
      }
      const { call, future } = this.#queue.shift()!;
      future.state = "running";
      slot.job = { id: future.id, future };
      slot.worker.postMessage({ id: future.id, ...call });
    }
    if (this.#queue.length === 0 && this.#slots.every((s) => !s.job)) {
      for (const r of this.#idle.splice(0)) r();
    }
  }

  async shutdown({ wait }: ShutdownOptions): Promise<void> {
    if (wait) {
      if (this.#queue.length || this.#slots.some((s) => s.job)) {
        await new Promise<void>((r) => this.#idle.push(r));
      }
    } else {
      for (const { future } of this.#queue.splice(0)) future.cancel();
    }
    await Promise.all([...this.#slots].map((s) => s.worker.terminate()));
  }
}
