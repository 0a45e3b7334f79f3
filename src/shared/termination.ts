/**
 * One handler for the signals that end a process from outside (Ctrl-C, `kill`, a closed
 * terminal), shared by every part of the library that holds something it must not lose or
 * leave behind: the tracker (runs to flush and close) and the scheduler (worker process groups
 * to end).
 *
 * Node's default action for these signals ends the process without running `exit` handlers, so
 * without this a Ctrl-C drops what a run had in memory and orphans worker processes. The
 * handler is installed only while something is registered, so a process that uses none of this
 * keeps Node's default behaviour.
 *
 * Worker threads get no signals (Node delivers them to the main thread only), so a thread's
 * cleanups are run for it: see "Worker threads" below and `termination-threads.ts`.
 *
 * Imports nothing from the project: any room may use it.
 */
import { isMainThread } from "node:worker_threads";

/** The signals handled, and the exit code each conventionally gives (128 + signal number). */
export const TERMINATION_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** A signal that ends a process from outside: Ctrl-C, `kill`, a closed terminal. */
export type TerminationSignal = keyof typeof TERMINATION_SIGNALS;

/** What a cleanup learns about the signal it runs for. */
export interface Termination {
  signal: TerminationSignal;
  /** 130, 143 or 129: the exit code a shell reports for a process ended by `signal`. */
  exitCode: number;
  /**
   * True when the process ends right after the cleanups (nobody else listens to the signal).
   * False when the user's own handler listens: it decides when to exit, so a cleanup should
   * make its data safe but leave open what the user's code may still finish.
   */
  ending: boolean;
}

/** Work to do, synchronously, when the process gets a termination signal. */
export type TerminationCleanup = (t: Termination) => void;

const cleanups = new Set<TerminationCleanup>();
const handlers = new Map<TerminationSignal, (signal: NodeJS.Signals) => void>();
const seen = new Set<TerminationSignal>();

/**
 * Registers `cleanup` to run synchronously when the process gets SIGINT, SIGTERM or SIGHUP.
 *
 * On a signal every registered cleanup runs (each guarded: one that throws does not stop the
 * others). Then, if no other listener of that signal is installed, the signal is raised again
 * with Node's default action, so the process ends with the signal's usual status (a shell shows
 * 130 for Ctrl-C). If the user's code listens to the signal too, its handler runs as usual and
 * decides when to exit; a second signal of that kind then ends the process at once.
 *
 * @returns a function that unregisters `cleanup`; the handler is removed with the last one.
 *
 * @example
 * ```ts
 * const stop = onTermination(({ signal }) => {
 *   writeFileSync("state.json", JSON.stringify(state)); // must be sync: the process is ending
 * });
 * // ... later, once there is nothing left to save:
 * stop();
 * ```
 */
export function onTermination(
  cleanup: TerminationCleanup,
  options: TerminationOptions = {},
): () => void {
  cleanups.add(cleanup);
  // A linger timer still armed stays: when it fires it finds this cleanup and leaves the handlers.
  installHandlers();
  return () => {
    cleanups.delete(cleanup);
    if (cleanups.size > 0) return;
    if (options.lingerMs !== undefined && options.lingerMs > 0) linger(options.lingerMs);
    else removeHandlers();
  };
}

/**
 * Options of `onTermination`.
 *
 * @example
 * ```ts
 * // A run per trial: the next trial's run reuses the handlers instead of reinstalling them.
 * const stop = onTermination(flushRuns, { lingerMs: 1_000 });
 * ```
 */
export interface TerminationOptions {
  /**
   * Keep the signal handlers this many ms after the last cleanup is unregistered, for the next
   * registration to reuse (installing and removing a signal listener costs a libuv watcher
   * each time, a visible share of a short tracked trial). Meanwhile a signal acts as if they
   * were gone: Node's default action, or the user's own handler alone.
   * @defaultValue undefined (removed at once)
   */
  lingerMs?: number;
}

let lingering: NodeJS.Timeout | null = null;
/** When the handlers stop lingering (Date.now() ms), if no cleanup is registered by then. */
let lingerUntil = 0;

/*
 * One linger timer at most, re-armed only when it fires before `lingerUntil`: a process that
 * registers and unregisters a cleanup per short task (a tracked run per trial) would otherwise
 * set and clear a timer for each.
 */
function linger(ms: number): void {
  lingerUntil = Date.now() + ms;
  if (lingering === null) armLinger(ms);
}

function armLinger(ms: number): void {
  lingering = setTimeout(endLinger, ms);
  lingering.unref();
}

/** The linger timer fired: removes the handlers when it is time and no cleanup came back. */
function endLinger(): void {
  lingering = null;
  if (cleanups.size > 0) return;
  const left = lingerUntil - Date.now();
  if (left > 0) armLinger(left);
  else removeHandlers();
}

/** The signals handled, listed once (`installHandlers` runs once per tracked trial). */
const SIGNALS = Object.keys(TERMINATION_SIGNALS) as TerminationSignal[];

function installHandlers(): void {
  // A worker thread never receives signals: its cleanups run when its host tells it to.
  // All installed (lingering from the last run): the common case of a run per trial returns
  // here, before a loop that would make V8 optimize this function in every worker.
  if (!isMainThread || handlers.size === SIGNALS.length) return;
  for (const signal of SIGNALS) {
    if (handlers.has(signal)) continue;
    const handler = () => handleSignal(signal);
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
}

function removeHandlers(): void {
  for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  handlers.clear();
}

function handleSignal(signal: TerminationSignal): void {
  const userListens = process.listenerCount(signal) > 1;
  // Lingering handlers with nothing to clean up: as if they were gone (see `lingerMs`).
  if (cleanups.size === 0) {
    if (!userListens) endBySignal(signal);
    return;
  }
  const again = seen.has(signal);
  seen.add(signal);
  const ending = !userListens || again;
  runCleanups({ signal, exitCode: TERMINATION_SIGNALS[signal], ending });
  if (ending) endBySignal(signal);
}

/**
 * Runs every registered cleanup once, guarded. Exported for the worker-thread side
 * (`termination-threads.ts`), which calls it when its host was signalled; not public.
 *
 * @example
 * ```ts
 * runCleanups({ signal: "SIGINT", exitCode: 130, ending: true }); // in a thread told to end
 * ```
 */
export function runCleanups(t: Termination): void {
  for (const cleanup of [...cleanups]) {
    try {
      cleanup(t);
    } catch {
      // the process is ending: one failed cleanup must not stop the others
    }
  }
}

/**
 * Ends the process as the signal's default action would, so the parent sees "killed by
 * SIGINT" (status 130 in a shell), not an ordinary exit. `exit` handlers do not run on that
 * path, which is why the cleanups ran first.
 */
function endBySignal(signal: TerminationSignal): never {
  removeHandlers();
  for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
  process.kill(process.pid, signal);
  // A signal sent to oneself is delivered before kill returns; this is only a fallback.
  process.exit(TERMINATION_SIGNALS[signal]);
}
