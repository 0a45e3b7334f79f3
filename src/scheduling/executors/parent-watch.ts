/**
 * Worker-process side of "no worker outlives its scheduler": when the host dies without
 * cleaning up (SIGKILL, the OOM killer, a crash), the worker ends its own process group —
 * itself and whatever its trial started — within about {@link PARENT_POLL_MS} ms.
 *
 * Two paths, because neither covers every case alone:
 * - an idle worker sees its IPC channel close (`disconnect`) on its event loop;
 * - a worker busy in a CPU-bound trial never gets back to its event loop, so a small
 *   watchdog thread polls the parent pid and sees it change when the host is gone (the
 *   worker is re-parented to init or a subreaper). The thread has its own event loop, so the
 *   trial's busy loop cannot stall it.
 */
import { Worker } from "node:worker_threads";

/** How often the watchdog thread looks at the parent pid. */
export const PARENT_POLL_MS = 200;

// Plain CommonJS evaluated in the thread: no imports, no loaders, so it starts in a few ms.
const WATCHDOG = `
const { workerData } = require("node:worker_threads");
const { parent, poll, win } = workerData;
setInterval(() => {
  if (process.ppid === parent) return;
  try { process.kill(win ? process.pid : -process.pid, "SIGKILL"); } catch {}
  process.kill(process.pid, "SIGKILL");
}, poll);
`;

/**
 * Starts the watchdog thread of a worker process. It does not keep the process alive.
 *
 * @example
 * ```ts
 * if (process.send) watchParent(); // in a forked worker, right after start-up
 * ```
 */
export function watchParent(): void {
  const parent = process.ppid;
  const thread = new Worker(WATCHDOG, {
    eval: true,
    // Not the worker's own flags (`--import tsx`): the watchdog needs no loader.
    execArgv: [],
    workerData: { parent, poll: PARENT_POLL_MS, win: process.platform === "win32" },
    stdout: false,
    stderr: false,
  });
  thread.unref();
  // A watchdog that cannot start must not take the worker down; the disconnect path remains.
  thread.on("error", () => {});
}

/**
 * Ends this worker's process group (and itself) at once: its host is gone.
 *
 * @example
 * ```ts
 * process.on("disconnect", () => (hostSaidBye ? process.exit(0) : endOwnGroup()));
 * ```
 */
export function endOwnGroup(): never {
  try {
    process.kill(process.platform === "win32" ? process.pid : -process.pid, "SIGKILL");
  } catch {
    // Not a group leader (e.g. started by hand): only this process can be ended.
  }
  process.kill(process.pid, "SIGKILL");
  process.exit(1); // not reached: SIGKILL to oneself is delivered before kill returns
}
