/**
 * The last write of `Run.finish` when its one-transaction write did not go through: the final
 * patch (summary, config, state) on its own, and, when the store is full, the run closed as
 * failed anyway and `finish` rejected with a `StoreFullError` that counts the points lost.
 */
import { StoreFullError } from "../store/store-full-error.js";
import type { RunPatch, Store } from "../store/types.js";
import type { HistoryWriter } from "./history-writer.js";
import type { SyncStore } from "./run-types.js";

/**
 * Writes `final()` (null: it was written already); when the store was full and history was
 * lost, or the final write itself found it full, closes the run as failed and throws the
 * typed error.
 *
 * @example
 * ```ts
 * await finishWrite(store, run.id, hist, () => ({ state: "finished", exitCode: 0 }));
 * ```
 */
export async function finishWrite(
  store: Store,
  id: string,
  hist: HistoryWriter,
  final: (() => RunPatch) | null,
): Promise<void> {
  let failure = hist.fullFailure();
  if (failure === undefined) {
    if (final === null) return;
    try {
      await store.updateRun(id, final());
      return;
    } catch (e) {
      if (!(e instanceof StoreFullError)) throw e;
      failure = e;
    }
  }
  await closeAsFailed(store, id);
  throw failure;
}

/**
 * Records why the run ended: state `failed`, exit code `StoreFullError.EXIT_CODE`. On a full
 * store only a write that needs no new page can succeed. The first try also sets `finishedAt`
 * (the row grows by 8 bytes, which a page usually has free); the second changes only
 * fixed-size fields to values of the same or smaller size ('running' -> 'failed', NULL -> a
 * one-byte integer, one REAL for another), so the row is rewritten in place. The SQLite store
 * also frees its reserve file for such a closing write (see `reserve.ts`), which gives the WAL
 * room for those few pages on a disk that is really full.
 */
async function closeAsFailed(store: Store, id: string): Promise<void> {
  const now = Date.now();
  const failed: RunPatch = {
    state: "failed",
    exitCode: StoreFullError.EXIT_CODE,
    heartbeatAt: now,
  };
  try {
    await store.updateRun(id, { ...failed, finishedAt: now });
  } catch {
    await store.updateRun(id, failed).catch(() => {
      // Nothing can be written: a later reader marks the run crashed once its process is gone.
    });
  }
}

/**
 * The exit path's version (synchronous, nothing to reject): when the store was full and logged
 * points were lost, closes the run as failed and says how many points were not stored (the
 * earlier warning could not know; no `finish()` rejects to tell the user).
 *
 * @example
 * ```ts
 * closeIfFullSync(store, run.id, hist); // in a process "exit" handler
 * ```
 */
export function closeIfFullSync(store: SyncStore, id: string, hist: HistoryWriter): void {
  const failure = hist.fullFailure();
  if (failure === undefined || store.updateRunSync === undefined) return;
  console.warn(`amltk: run ${id}: ${failure.message}`);
  const now = Date.now();
  const failed: RunPatch = {
    state: "failed",
    exitCode: StoreFullError.EXIT_CODE,
    heartbeatAt: now,
  };
  for (const patch of [{ ...failed, finishedAt: now }, failed]) {
    try {
      store.updateRunSync(id, patch);
      return;
    } catch {
      // try the in-place version (see closeAsFailed), then give up: the process is ending
    }
  }
}
