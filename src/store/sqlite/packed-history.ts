/**
 * Where a run's history is written: chunks (`chunks.ts`), or, for a short run whose history
 * comes with the write that closes it, a pack in the run's own row (`history-pack.ts`).
 *
 * A run holds either a pack or chunks, never both: any later write to a packed run (a resumed
 * run logging again, a server batch) first moves the pack into chunks, then appends as usual.
 * The seed's trial-sized runs write everything at `finish`, so their finish commit changes the
 * run row alone (and its state index) instead of a steps row and a chunk row per key with their
 * index entries. Page writes are a short run's main cost: strace over bench/seed-cpu.ts counts
 * 35 pwrite64 per tracked trial before packs and 14 with them (fsyncs of checkpoints halved).
 */
import type { HistoryBatch } from "../history-batch.js";
import { checkHistoryBatch } from "../history-checks.js";
import { StoreError } from "../types.js";
import { writeChunks } from "./chunks.js";
import { type Db, stmt } from "./connection.js";
import { decodePack, encodePack, lastStepOf } from "./history-pack.js";

function unknownRun(runId: unknown): StoreError {
  return new StoreError(`unknown run id ${JSON.stringify(runId)}`, "not_found");
}

/** The run's packed history, or null when its history (if any) is in chunks. */
export function loadPack(db: Db, runId: string): Buffer | null {
  if (typeof runId !== "string") throw unknownRun(runId);
  const row = stmt(db, "SELECT history_pack AS pack FROM runs WHERE id = ?").get(runId) as
    | { pack: Buffer | null }
    | undefined;
  if (!row) throw unknownRun(runId);
  return row.pack;
}

/** The run's packed history decoded, or undefined (see {@link loadPack}). */
export function loadPackedBatch(db: Db, runId: string): HistoryBatch | undefined {
  const pack = loadPack(db, runId);
  return pack === null ? undefined : decodePack(pack);
}

/** Moves a pack into chunks (the run then has no pack), before more history is appended. */
function unpack(db: Db, runId: string, pack: Buffer): void {
  writeChunks(db, runId, decodePack(pack), true);
  stmt(db, "UPDATE runs SET history_pack = NULL, pack_last_step = NULL WHERE id = ?").run(runId);
}

/**
 * Appends a batch to a run's history (the caller holds the write transaction). Validates it
 * first. `fresh`: the run has no history stored yet (a hint, see `writeBatch`).
 */
export function appendBatch(db: Db, runId: string, b: HistoryBatch, fresh = false): void {
  checkHistoryBatch(b);
  appendValid(db, runId, b, fresh);
}

function appendValid(db: Db, runId: string, b: HistoryBatch, fresh: boolean): void {
  const pack = loadPack(db, runId);
  if (pack !== null && b.rows > 0) {
    unpack(db, runId, pack);
    fresh = false;
  }
  writeChunks(db, runId, b, fresh);
}

/** A run's new pack: what the run row's `history_pack` and `pack_last_step` become. */
export interface PackColumns {
  pack: Buffer;
  lastStep: number;
}

/**
 * Writes the history of one `writeRunSync` call. When the same write closes the run
 * (`closing`), the run has no chunks, and its history (its pack, if any, plus `batches`) fits
 * a pack with steps strictly increasing, it becomes the run's pack: returned, for the caller
 * to write with the closing patch (one row update); otherwise it is written to chunks here.
 */
export function writeRunHistory(
  db: Db,
  runId: string,
  batches: readonly HistoryBatch[],
  fresh: boolean,
  closing: boolean,
): PackColumns | undefined {
  for (const b of batches) checkHistoryBatch(b);
  if (closing && batches.some((b) => b.rows > 0)) {
    const pack = packOf(db, runId, batches);
    if (pack) return pack;
  }
  for (const b of batches) {
    appendValid(db, runId, b, fresh);
    fresh = false;
  }
  return undefined;
}

/**
 * The pack of a run that has no history stored yet (a new run closed by its first write), or
 * undefined when it does not fit one. Needs no database, so a caller can encode it before it
 * takes the write lock (see `SqliteStore.writeRunSync`).
 */
export function freshPack(batches: readonly HistoryBatch[]): PackColumns | undefined {
  for (const b of batches) checkHistoryBatch(b);
  if (!batches.some((b) => b.rows > 0)) return undefined;
  const pack = encodePack(batches);
  return pack === undefined ? undefined : { pack, lastStep: lastStepOf(batches) };
}

/** The run's whole history as a pack, when it fits one (see {@link writeRunHistory}). */
function packOf(db: Db, runId: string, batches: readonly HistoryBatch[]): PackColumns | undefined {
  const state = stmt(
    db,
    `SELECT history_pack AS pack, EXISTS (SELECT 1 FROM history_steps WHERE run = ?) AS chunked
     FROM runs WHERE id = ?`,
  ).get(runId, runId) as { pack: Buffer | null; chunked: number } | undefined;
  if (!state) throw unknownRun(runId);
  if (state.chunked) return undefined;
  const all = state.pack === null ? batches : [decodePack(state.pack), ...batches];
  const pack = encodePack(all);
  return pack === undefined ? undefined : { pack, lastStep: lastStepOf(all) };
}
