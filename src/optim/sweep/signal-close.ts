/**
 * A sweep's driver ended by SIGINT, SIGTERM or SIGHUP (Ctrl-C, `kill`, a closed terminal):
 * the sweep's own record is closed `failed` with 130, 143 or 129 before the process ends, as
 * the tracker closes a run ended by a signal, instead of being found dead later and marked
 * `crashed`. Its journal needs nothing more: every ask and tell was committed in order, and a
 * resumed driver takes the sweep over from a failed record as from a crashed one.
 *
 * Only the sweep's record: its trials in flight may live on (a queue executor's workers keep
 * running them for the next driver to collect), so they are left to the resumed driver.
 *
 * The write has to be synchronous (the process ends right after the cleanup), so it is made
 * only on a store that offers one (the embedded SQLite store's `updateRunSync`); on another
 * (PostgreSQL) the record stays `running` until its store sees the driver is gone.
 *
 * @module
 */
import { onTermination } from "../../shared/termination.js";
import type { RunPatch, Store } from "../../store/types.js";

/** A store that can write a run's patch synchronously (the embedded SQLite store). */
interface SyncUpdate {
  updateRunSync(id: string, patch: RunPatch): void;
}

function syncUpdater(store: Store): SyncUpdate | undefined {
  const s = store as Partial<SyncUpdate>;
  return typeof s.updateRunSync === "function" ? (s as SyncUpdate) : undefined;
}

/**
 * Closes run `runId` of `store` as failed with the signal's exit code when the process is
 * ended by a termination signal, until the returned function is called. A store without
 * synchronous writes: nothing is registered. A user's own handler of the signal decides
 * whether the process ends, so then the record is left alone (a later close marks it).
 *
 * @example
 * ```ts
 * const stop = closeOnTermination(store, sweepRunId("mnist-tpe"));
 * // ... the sweep runs ...
 * stop(); // the sweep closed its record itself
 * ```
 */
export function closeOnTermination(store: Store, runId: string): () => void {
  const writer = syncUpdater(store);
  if (!writer) return () => {};
  return onTermination(({ exitCode, ending }) => {
    if (!ending) return;
    try {
      writer.updateRunSync(runId, { state: "failed", exitCode, finishedAt: Date.now() });
    } catch {
      // The process is ending: the store marks the record crashed once it sees it is gone.
    }
  });
}
