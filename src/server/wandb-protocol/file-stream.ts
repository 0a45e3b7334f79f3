/**
 * The file_stream ingest: each streamed file's lines into our run, exactly once by line index.
 * For each (run, file) the store's ingest ledger (`Store.transaction`'s `ingestSeq`, the same
 * one our batch ingest uses) holds how many lines were taken; a request's lines below that
 * count are a retry's and are skipped, the rest are applied, and the count moves on, all in one
 * transaction with the data, so a server restart neither doubles nor loses lines.
 */

import type { HistoryColumns } from "../../protocol/batch.js";
import {
  decodeEventsLine,
  decodeHistoryLine,
  decodeOutputLine,
  decodeSummaryLine,
  FILE_STREAM_FILES,
  type FileStreamChunk,
  type FileStreamRequest,
  parseWandbJson,
  type WandbHistoryLine,
  WandbLineError,
  wandbEndState,
} from "../../protocol/wandb/index.js";
import type { RunPatch, RunRecord, StoredValue, StoreTransaction } from "../../store/types.js";
import { ApiError } from "../errors.js";
import { toBatch } from "../history-merge.js";
import { fileWriter } from "./buckets.js";

/** What one request wrote, for the answer's bookkeeping and the live watcher. */
export interface FileStreamApplied {
  lines: number;
  skipped: number;
  /**
   * History lines taken but not stored: a `_step` the store cannot hold (above 2^53 - 1,
   * negative or fractional), dropped and counted as `amltk import wandb` does.
   */
  dropped: number;
}

function lineError(file: string, index: number, e: unknown): ApiError {
  const message = e instanceof WandbLineError ? e.message : `${file}: ${(e as Error).message}`;
  return new ApiError(400, "invalid", `${message} (line ${index})`, `files.${file}.content`);
}

/**
 * History lines as columns (the store's fast batch path, as our own wire's `history_cols`):
 * numbers per key with the rows they are at, anything else one by one.
 */
function historyColumns(lines: readonly WandbHistoryLine[]): HistoryColumns {
  const cols: HistoryColumns = { steps: [], runtimes: [], timestamps: [], columns: {}, others: [] };
  lines.forEach((h, row) => {
    cols.steps.push(h.step);
    cols.runtimes.push(h.runtime);
    cols.timestamps.push(h.timestamp);
    for (const key in h.values) {
      const value = h.values[key];
      if (typeof value === "number") {
        let col = cols.columns[key];
        if (!col) {
          col = { rows: [], values: [] };
          cols.columns[key] = col;
        }
        col.rows!.push(row);
        col.values.push(value);
      } else cols.others.push({ row, key, value: value as StoredValue });
    }
  });
  return cols;
}

/** Decodes `lines` of `file` with `decode`, naming the file and line index of a bad one. */
function decodeAll<T>(
  file: string,
  offset: number,
  lines: readonly string[],
  decode: (l: string) => T,
): T[] {
  return lines.map((line, i) => {
    try {
      return decode(line);
    } catch (e) {
      throw lineError(file, offset + i, e);
    }
  });
}

/**
 * Whether a history line's `_step` is a number the store cannot hold as a step (W&B steps are
 * 64-bit; ours are exact only up to 2^53 - 1). Such a line is dropped, not the request: a 400
 * would make the client resend it forever, and the import drops the same rows.
 */
function hasUnstorableStep(line: string): boolean {
  try {
    const o = parseWandbJson(line) as { _step?: unknown } | null;
    const step = o?._step;
    return typeof step === "number" && !(Number.isSafeInteger(step) && step >= 0);
  } catch {
    return false;
  }
}

async function applyLines(
  tx: StoreTransaction,
  runId: string,
  file: string,
  offset: number,
  lines: readonly string[],
  done: FileStreamApplied,
): Promise<void> {
  switch (file) {
    case FILE_STREAM_FILES.history: {
      const decoded = decodeAll(file, offset, lines, (l) =>
        hasUnstorableStep(l) ? undefined : decodeHistoryLine(l),
      );
      const kept = decoded.filter((h) => h !== undefined);
      done.dropped += decoded.length - kept.length;
      if (kept.length === 0) return;
      return tx.appendHistoryBatch(runId, toBatch(historyColumns(kept)));
    }
    case FILE_STREAM_FILES.events: {
      const samples = decodeAll(file, offset, lines, decodeEventsLine);
      return tx.appendSystem(
        runId,
        samples.filter((s) => Object.keys(s.values).length > 0),
      );
    }
    case FILE_STREAM_FILES.output:
      return tx.appendConsole(
        runId,
        decodeAll(file, offset, lines, (l) => decodeOutputLine(l)),
      );
  }
}

/** The summary is whole in each request (offset 0): its last line replaces the run's. */
async function applySummary(
  tx: StoreTransaction,
  runId: string,
  chunk: FileStreamChunk,
): Promise<number> {
  const last = chunk.content.at(-1);
  if (last === undefined) return 0;
  const file = FILE_STREAM_FILES.summary;
  const [summary] = decodeAll(
    file,
    chunk.offset + chunk.content.length - 1,
    [last],
    decodeSummaryLine,
  );
  await tx.updateRun(runId, { summary: summary as Record<string, StoredValue> });
  return 1;
}

/** Applies one file's chunk once: lines below the ledger's count are a retry's. */
async function applyChunk(
  tx: StoreTransaction,
  runId: string,
  file: string,
  chunk: FileStreamChunk,
  done: FileStreamApplied,
): Promise<void> {
  if (file === FILE_STREAM_FILES.summary) {
    done.lines += await applySummary(tx, runId, chunk);
    return;
  }
  if (!isStreamedFile(file)) return; // other files (wandb-metadata, config.yaml) come as uploads
  const writer = fileWriter(file);
  const taken = (await tx.ingestSeq(runId, writer)) ?? 0;
  const end = chunk.offset + chunk.content.length;
  const skip = Math.min(chunk.content.length, Math.max(0, taken - chunk.offset));
  done.skipped += skip;
  if (skip === chunk.content.length) return;
  const fresh = chunk.content.slice(skip);
  await applyLines(tx, runId, file, chunk.offset + skip, fresh, done);
  done.lines += fresh.length;
  await tx.setIngestSeq(runId, writer, end);
}

function isStreamedFile(file: string): boolean {
  return (
    file === FILE_STREAM_FILES.history ||
    file === FILE_STREAM_FILES.events ||
    file === FILE_STREAM_FILES.output
  );
}

/**
 * How a `complete` request closes the run: exit code 0 is finished (pruned when the run has the
 * tag "pruned": W&B has no such state, our W&B-protocol tracker tags it), any other failed.
 */
function closePatch(exitcode: number | null | undefined, tags: readonly string[]): RunPatch {
  const exitCode = exitcode ?? 0;
  return { state: wandbEndState(exitCode, tags), exitCode, finishedAt: Date.now() };
}

/**
 * Applies a file_stream request to `run` in `tx`: each file's new lines, a heartbeat, and the
 * close when `complete`.
 */
export async function applyFileStream(
  tx: StoreTransaction,
  run: RunRecord,
  body: FileStreamRequest,
): Promise<FileStreamApplied> {
  const done: FileStreamApplied = { lines: 0, skipped: 0, dropped: 0 };
  for (const [file, chunk] of Object.entries(body.files ?? {})) {
    await applyChunk(tx, run.id, file, chunk, done);
  }
  if (body.complete) await tx.updateRun(run.id, closePatch(body.exitcode, run.tags));
  else if (run.state === "running") await tx.updateRun(run.id, { heartbeatAt: Date.now() });
  return done;
}
