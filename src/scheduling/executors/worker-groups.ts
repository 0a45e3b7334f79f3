/**
 * Host side of "no worker outlives its scheduler": every live worker process of every
 * processes executor in this process is listed here, and when the host ends — a termination
 * signal (Ctrl-C, `kill`, a closed terminal) or an ordinary exit — each worker's whole process
 * group is ended, so a trial's own child processes go too.
 *
 * Workers lead their own process groups (forked `detached`), which is what lets one signal
 * reach everything a trial started; it is also why a terminal's Ctrl-C does not reach them by
 * itself, and why this file has to forward it. A host killed with SIGKILL runs none of this:
 * the worker notices its parent is gone by itself (`parent-watch.ts`).
 *
 * The signal and exit hooks are installed only while a worker is alive, so a process that has
 * no workers keeps Node's default behaviour.
 */
import { readFileSync } from "node:fs";
import { onTermination, type TerminationSignal } from "../../shared/termination.js";

interface LiveWorker {
  pid: number;
  /** Seconds its executor lets a signalled worker take before SIGKILL (`graceSeconds`). */
  graceSeconds: number;
}

const live = new Set<LiveWorker>();
let stopTermination: (() => void) | undefined;

/**
 * Lists worker `pid` (a process-group leader) until the returned function is called, which
 * its executor does once the worker has exited.
 *
 * @example
 * ```ts
 * const child = fork(entry, [], { detached: true });
 * const release = guardWorkerGroup(child.pid as number, 1);
 * child.once("exit", release);
 * ```
 */
export function guardWorkerGroup(pid: number, graceSeconds: number): () => void {
  const worker: LiveWorker = { pid, graceSeconds };
  live.add(worker);
  install();
  return () => {
    live.delete(worker);
    if (live.size === 0) uninstall();
  };
}

/**
 * Pids of the workers currently listed (for tests and diagnostics).
 *
 * @example
 * ```ts
 * await scheduler.run();
 * guardedWorkerPids(); // [] once every worker has exited
 * ```
 */
export function guardedWorkerPids(): number[] {
  return [...live].map((w) => w.pid);
}

function install(): void {
  if (stopTermination) return;
  stopTermination = onTermination(({ signal, ending }) => {
    // A user's own handler decides what happens on the first signal (say, a graceful
    // `scheduler.stop()` that lets trials finish); the exit hook still ends the workers when
    // the process exits, and a second signal is `ending`.
    if (ending) endAll(signal);
  });
  process.on("exit", onExit);
}

function uninstall(): void {
  stopTermination?.();
  stopTermination = undefined;
  process.removeListener("exit", onExit);
}

function onExit(): void {
  endAll("SIGTERM");
}

/**
 * Sends `signal` to every worker's group (a Ctrl-C reaches the trials as a Ctrl-C, so a
 * tracker running in a worker closes its run with the matching exit code), waits up to the
 * longest grace for the workers themselves to end, then SIGKILLs every group: whatever
 * ignored the signal, or could not handle it because its event loop was busy. All of it is
 * synchronous, because the process ends right after.
 */
function endAll(signal: TerminationSignal | "SIGTERM"): void {
  const workers = [...live];
  live.clear();
  uninstall();
  if (workers.length === 0) return;
  for (const w of workers) signalGroup(w.pid, signal);
  const graceMs = Math.max(...workers.map((w) => w.graceSeconds)) * 1000;
  waitUntil(() => workers.every((w) => hasExited(w.pid)), graceMs);
  // The leaders are zombies until this process reaps them, so their group ids cannot have been
  // reused: this SIGKILL reaches only what they left behind.
  for (const w of workers) signalGroup(w.pid, "SIGKILL");
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(process.platform === "win32" ? pid : -pid, signal);
  } catch {
    // Already gone (ESRCH).
  }
}

/**
 * Whether `pid` has ended: gone from `/proc`, or a zombie waiting to be reaped. Where there is
 * no `/proc` (not Linux) this cannot be told without reaping, so it answers true and the
 * SIGKILL follows at once.
 */
function hasExited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

/** Blocks (no event loop: the process is ending) until `done()` or `ms` have passed. */
function waitUntil(done: () => boolean, ms: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = performance.now() + ms;
  while (!done() && performance.now() < deadline) Atomics.wait(cell, 0, 0, 10);
}
