/**
 * A new run that is closed by its first write (a short trial on a worker pool: its run row,
 * whole history and closing state in one commit). Everything that needs no database (checks,
 * JSON, the history pack, the UPDATE's columns) is encoded before the write lock is taken, so
 * the lock is held only while the statements run: two worker processes committing to one file
 * wait on each other for that long (bench/seed.ts --profile showed the lock held during the
 * encoding as a share of the seed's per-trial overhead).
 */
import type { HistoryBatch } from "../history-batch.js";
import type { ConsoleLine, RunInit, RunPatch } from "../types.js";
import { type Db, writeTx } from "./db.js";
import { appendConsoleRows } from "./history.js";
import { freshPack, writeRunHistory } from "./packed-history.js";
import { applyRunUpdate, prepareRunInsert, prepareRunUpdate, runPreparedInsert } from "./runs.js";

/** Inserts, fills and closes a new run in one write transaction (see the module comment). */
export function writeNewClosedRun(
  db: Db,
  runId: string,
  create: RunInit,
  patch: RunPatch,
  history: readonly HistoryBatch[],
  console: readonly ConsoleLine[] | undefined,
): void {
  const insert = prepareRunInsert({ ...create, id: runId });
  const packed = freshPack(history);
  const update = prepareRunUpdate(patch, packed);
  writeTx(db, () => {
    runPreparedInsert(db, insert);
    // Too long for a pack: chunks, as any run's history (checked already by freshPack).
    if (!packed) writeRunHistory(db, runId, history, true, false);
    applyRunUpdate(db, runId, update);
    if (console && console.length > 0) appendConsoleRows(db, runId, console);
  });
}
