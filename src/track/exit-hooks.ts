/**
 * One `process.on("exit")` hook for the tracker: first every live run writes what it holds
 * (synchronously: nothing async runs at exit), then tasks such as closing the default stores.
 */

/** A run as the exit hook sees it. */
export interface ExitFlusher {
  _flushSyncOnExit(code: number): void;
}

const live = new Set<ExitFlusher>();
const tasks: (() => void)[] = [];
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", (code) => {
    for (const r of live) r._flushSyncOnExit(code);
    for (const task of tasks) {
      try {
        task();
      } catch {
        // the process is exiting; nothing left to do
      }
    }
  });
}

/** Registers an unfinished run. */
export function addLive(r: ExitFlusher): void {
  live.add(r);
  hook();
}

/** Forgets a run (it finished). */
export function removeLive(r: ExitFlusher): void {
  live.delete(r);
}

/** Runs `task` at process exit, after every live run has written what it holds. */
export function atExitAfterRuns(task: () => void): void {
  tasks.push(task);
  hook();
}
