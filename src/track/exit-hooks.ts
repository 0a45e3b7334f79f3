/**
 * How the tracker's unfinished runs survive the end of their process. Two ways a process ends
 * without `run.finish()`:
 *
 * - it exits (`process.exit`, the event loop runs dry, an uncaught error): one
 *   `process.on("exit")` hook writes every live run synchronously and closes it with the exit
 *   code, then runs tasks such as closing the default stores (when the loop runs dry the runs
 *   are closed one turn earlier, at `beforeExit`, so online runs deliver their closing state);
 * - it gets SIGINT, SIGTERM or SIGHUP (Ctrl-C, `kill`, a closed terminal), whose default action
 *   skips `exit` hooks: while runs are live, `onTermination` (src/shared/termination.ts) runs
 *   the same write first, closing the runs as `failed` with 130, 143 or 129 (W&B's record of a
 *   killed run), and the process then ends by the signal. If the user's code listens to the
 *   signal too, its handler decides: the runs are only made durable and stay open for that code
 *   to finish (a later exit closes them as above); a second signal ends the process at once.
 */
import { onTermination, type Termination } from "../shared/termination.js";

/** How the exit path leaves a run. */
export interface ExitClose {
  /** Write what is held and make it durable, but leave the run open (a user's handler decides). */
  keepOpen?: boolean;
}

/** A run as the exit hook sees it. */
export interface ExitFlusher {
  /** Writes what the run holds, synchronously, and (unless `keepOpen`) closes it with `code`. */
  _flushSyncOnExit(code: number, how?: ExitClose): void;
}

const live = new Set<ExitFlusher>();
const tasks: (() => void)[] = [];
let hooked = false;
let stopSignals: (() => void) | null = null;

function guarded(f: () => void): void {
  try {
    f();
  } catch {
    // the process is ending: one failure must not keep the others from being written
  }
}

/** Every live run written and closed with `code`, then the exit tasks. */
function closeAll(code: number): void {
  for (const r of [...live]) guarded(() => r._flushSyncOnExit(code));
  for (const task of tasks) guarded(task);
}

/**
 * The event loop ran dry with runs still open: the script ended without `finish()`. Closing
 * them now rather than at `exit` leaves the event loop one more turn, so a store that delivers
 * asynchronously (online) sends the closing state too, within its bounded wait, instead of
 * only spooling it for a later `amltk sync`. W&B's atexit hook finishes runs the same way.
 * `beforeExit` never comes from `process.exit()` or a signal; those take the paths above.
 */
function closeBeforeExit(): void {
  const code = typeof process.exitCode === "number" ? process.exitCode : 0;
  for (const r of [...live]) guarded(() => r._flushSyncOnExit(code));
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", closeAll);
  // First in line, so the online outbox's own beforeExit drain sees the closing ops.
  process.prependListener("beforeExit", closeBeforeExit);
}

function onSignal(t: Termination): void {
  if (t.ending) closeAll(t.exitCode);
  else for (const r of [...live]) guarded(() => r._flushSyncOnExit(t.exitCode, { keepOpen: true }));
}

/** Registers an unfinished run; the signal handler is installed while any run is live. */
export function addLive(r: ExitFlusher): void {
  live.add(r);
  hook();
  // A process that runs a trial per run (the W&B plugin) would reinstall the signal handlers for
  // every run: they linger a second after the last run, for the next one to reuse.
  stopSignals ??= onTermination(onSignal, { lingerMs: 1_000 });
}

/** Forgets a run (it is finished); the last one gone removes the signal handler. */
export function removeLive(r: ExitFlusher): void {
  live.delete(r);
  if (live.size === 0 && stopSignals) {
    stopSignals();
    stopSignals = null;
  }
}

/** Runs `task` at process exit, after every live run has written what it holds. */
export function atExitAfterRuns(task: () => void): void {
  tasks.push(task);
  hook();
}
