/**
 * Host side of the processes executor: a {@link WorkerPool} of `child_process.fork`ed
 * workers (entry `worker.ts`) that import the user's function by module URL + export name.
 * Each worker leads its own process group, so stopping it also reaches what it started; no
 * worker outlives the host (`worker-groups.ts` on the host, `parent-watch.ts` in the worker).
 */
import { type ChildProcess, fork, type Serializable } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { procUsage } from "./limits.js";
import { type PoolWorker, type WorkerHooks, WorkerPool } from "./pool.js";
import { resolvePoolOptions, type WorkerPoolOptions } from "./pool-options.js";
import { fromJsonWire, toJsonWire, type WorkerMsg } from "./wire.js";
import { guardWorkerGroup } from "./worker-groups.js";

export { toModuleCall, WorkerDiedError } from "./pool.js";
export { RemoteError } from "./wire.js";

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

/** Signal the worker's whole process group (its children too), falling back to the worker. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid && process.platform !== "win32") process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}

/**
 * Runs each call in a pool of worker processes. Functions must be importable.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler(new ProcessExecutor({ maxWorkers: 4, graceSeconds: 2 }));
 * ```
 */
export class ProcessExecutor extends WorkerPool {
  /** Seconds between SIGTERM and SIGKILL when workers are stopped without waiting. */
  readonly graceSeconds: number;

  constructor(options: WorkerPoolOptions) {
    const { maxWorkers, graceSeconds } = resolvePoolOptions(options, "ProcessExecutor");
    super(maxWorkers);
    this.graceSeconds = graceSeconds;
  }

  protected startWorker(hooks: WorkerHooks): PoolWorker {
    const { path, execArgv } = workerEntry();
    // Own process group, so that stopping a worker also reaches the processes it started.
    // A terminal's Ctrl-C then reaches only the host, which passes it on (worker-groups.ts).
    const child = fork(path, [], {
      execArgv,
      // JSON is the faster channel for small messages; wire.ts sends what JSON would change
      // as structured clone inside it, so values cross as with "advanced".
      serialization: "json",
      stdio: "inherit",
      detached: process.platform !== "win32",
    });
    // Until it exits, the host ends its group if the host itself is ended or exits.
    const release = child.pid ? guardWorkerGroup(child.pid, this.graceSeconds) : () => {};
    let exit: string | undefined;
    let disconnected = false;
    let reported = false;
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => {
      resolveEnded = r;
    });
    // The worker is gone once it exited AND its IPC channel reached its end: only then has
    // every reply it sent before dying been read, so none is mistaken for lost work.
    const maybeDone = () => {
      if (reported || exit === undefined || !disconnected) return;
      reported = true;
      hooks.exit({ description: exit });
      resolveEnded();
    };
    child.on("message", (m) => hooks.message(fromJsonWire<WorkerMsg>(m)));
    // A send to a worker that is going away fails asynchronously (EPIPE, channel closed);
    // its exit settles its calls, so that error needs no handling beyond not crashing.
    // A worker that could not be started at all ends here.
    child.on("error", (err) => {
      if (child.pid !== undefined || exit !== undefined) return;
      exit = `Worker process could not be started: ${err.message}`;
      disconnected = true;
      maybeDone();
    });
    child.once("disconnect", () => {
      disconnected = true;
      maybeDone();
    });
    child.once("exit", (code, signal) => {
      release();
      exit = `Worker process exited (code ${code}, signal ${signal}) while running a call`;
      if (!child.connected) disconnected = true;
      maybeDone();
    });
    return {
      post: (msg) => {
        if (!child.connected) throw new Error("the worker process is gone");
        child.send(toJsonWire(msg) as Serializable);
      },
      kill: () => {
        if (exit === undefined) signalGroup(child, "SIGKILL");
        return ended;
      },
      usage: () => (child.pid ? procUsage(child.pid) : {}),
      stop: (graceful) => {
        if (exit !== undefined) return ended;
        if (graceful && child.connected) {
          // Said first (and written before the channel closes), so the worker does not take
          // the disconnect for its host dying.
          child.send(toJsonWire({ t: "bye" }) as Serializable, () => {
            if (child.connected) child.disconnect();
          });
        } else signalGroup(child, "SIGTERM");
        const timer = setTimeout(() => signalGroup(child, "SIGKILL"), this.graceSeconds * 1000);
        timer.unref();
        return ended.finally(() => clearTimeout(timer));
      },
    };
  }
}
