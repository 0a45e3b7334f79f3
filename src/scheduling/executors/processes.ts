/**
 * Host side of the processes executor: a pool of `child_process.fork`ed workers that import
 * the user's function by module URL + export name. Only importable calls can run here.
 */
import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type Call,
  type Executor,
  Future,
  isFunctionCall,
  type ModuleCall,
  type ShutdownOptions,
} from "./executor.js";

/** An error raised in a worker, rebuilt on the host (its class is not preserved). */
export class RemoteError extends Error {
  constructor(e: { name: string; message: string; stack?: string }) {
    super(e.message);
    this.name = e.name;
    if (e.stack) this.stack = e.stack;
  }
}

/**
 * Whether workers must load TypeScript: true when this process itself runs under tsx (the user
 * started `tsx script.ts`), so that the user's `.ts` module imports in the worker as it did here.
 */
export function parentRunsTsx(): boolean {
  return /tsx/.test(`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`);
}

function workerEntry(): { path: string; execArgv: string[] } {
  const js = fileURLToPath(new URL("./worker.js", import.meta.url));
  if (existsSync(js)) {
    // Resolved from here, so it works wherever amltk is installed, whatever the cwd.
    return { path: js, execArgv: parentRunsTsx() ? ["--import", import.meta.resolve("tsx")] : [] };
  }
  // Running from source (tsx / vitest): load the TypeScript worker through tsx.
  return {
    path: fileURLToPath(new URL("./worker.ts", import.meta.url)),
    execArgv: ["--import", "tsx"],
  };
}

export function toModuleCall(call: Call): ModuleCall {
  if (!isFunctionCall(call)) return call;
  if (!call.module) {
    throw new TypeError(
      `Function "${call.fn.name || "<anonymous>"}" cannot run in a worker process: it has no ` +
        `importable module. Export it from a module and wrap it with importable(fn, import.meta.url, "name").`,
    );
  }
  return { ...call.module, args: call.args };
}

/** Signal the worker's whole process group (its children too), falling back to the worker. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid && process.platform !== "win32") process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}

interface Slot {
  child: ChildProcess;
  job?: { id: number; future: Future<unknown> };
}

export class ProcessExecutor implements Executor {
  readonly maxWorkers: number;
  readonly requiresImportable = true;
  /** Seconds between SIGTERM and SIGKILL on `shutdown({ wait: false })`. */
  readonly graceSeconds: number;
  #slots: Slot[] = [];
  #queue: { call: ModuleCall; future: Future<unknown> }[] = [];
  #idle: (() => void)[] = [];

  constructor({ maxWorkers, graceSeconds = 1 }: { maxWorkers: number; graceSeconds?: number }) {
    if (!Number.isInteger(maxWorkers) || maxWorkers < 1) {
      throw new RangeError(`maxWorkers must be a positive integer, got ${maxWorkers}`);
    }
    this.maxWorkers = maxWorkers;
    this.graceSeconds = graceSeconds;
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
    const { path, execArgv } = workerEntry();
    // Own process group, so that stopping a worker also reaches the processes it started.
    // The worker still exits when the IPC channel closes (parent gone).
    const child = fork(path, [], {
      execArgv,
      serialization: "advanced",
      stdio: "inherit",
      detached: process.platform !== "win32",
    });
    const slot: Slot = { child };
    child.on("message", (m: { id: number; ok: boolean; value?: unknown; error?: never }) => {
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      slot.job = undefined;
      if (m.ok) job.future.setResult(m.value);
      else job.future.setException(new RemoteError(m.error ?? { name: "Error", message: "?" }));
      this.#pump();
    });
    child.on("exit", (code, signal) => {
      this.#slots = this.#slots.filter((s) => s !== slot);
      const job = slot.job;
      slot.job = undefined;
      job?.future.setException(
        new Error(`Worker process exited (code ${code}, signal ${signal}) while running a call`),
      );
      this.#pump();
    });
    this.#slots.push(slot);
    return slot;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.job && s.child.connected);
      if (!slot) {
        if (this.#slots.length >= this.maxWorkers) break;
        slot = this.#spawn();
      }
      const { call, future } = this.#queue.shift()!;
      future.state = "running";
      slot.job = { id: future.id, future };
      slot.child.send({ id: future.id, ...call });
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
    const slots = [...this.#slots];
    await Promise.all(slots.map((s) => this.#terminate(s.child, wait)));
  }

  #terminate(child: ChildProcess, graceful: boolean): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      if (graceful && child.connected) child.disconnect();
      else signalGroup(child, "SIGTERM");
      const t = setTimeout(() => signalGroup(child, "SIGKILL"), this.graceSeconds * 1000);
      t.unref();
      child.once("exit", () => clearTimeout(t));
    });
  }
}
