/** The typed error for a store that ran out of space. */
import { StoreError } from "./types.js";

/**
 * A store has no room left: its disk is full, or it reached a size limit (SQLite's
 * `max_page_count`). `path` names the store's file, and `pointsNotStored` counts the logged
 * history points that were accepted by `run.log` but could not be written (0 when none were
 * lost). What was stored before stays stored: nothing is deleted to make room. Code `full`.
 *
 * A tracked run reports it once (one warning), keeps the batches that failed in memory (up to a
 * bound) to retry them at the next flush, and its `finish()` rejects with it; the run's record
 * is then closed as `failed` with exit code {@link StoreFullError.EXIT_CODE}.
 *
 * @example
 * ```ts
 * import { init, StoreFullError } from "amltk/track";
 *
 * const run = await init({ project: "demo" });
 * run.log({ loss: 0.5 });
 * try {
 *   await run.finish();
 * } catch (e) {
 *   if (e instanceof StoreFullError) {
 *     console.error(`free some space on the disk of ${e.path}; ${e.pointsNotStored} points lost`);
 *   }
 * }
 * ```
 */
export class StoreFullError extends StoreError {
  override name = "StoreFullError";
  /** The exit code a run closed because of a full store gets: 74, `EX_IOERR` of sysexits.h. */
  static readonly EXIT_CODE = 74;

  constructor(
    /** The store's file (or folder), e.g. `./amltk-runs/amltk.db`. */
    readonly path: string,
    /** Logged history points accepted by the tracker that could not be stored. */
    readonly pointsNotStored = 0,
  ) {
    super(
      `store ${path} is full (no space left on its disk, or its size limit reached)` +
        (pointsNotStored > 0 ? `; ${pointsNotStored} logged points were not stored` : ""),
      "full",
    );
  }
}
