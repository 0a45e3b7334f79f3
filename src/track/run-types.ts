/** Types around `Run`: its options, `log` options, and the optional sync methods of a store. */
import type { BatchWriter, HistoryBatch } from "../store/history-batch.js";
import type {
  ConsoleLine,
  HistoryRow,
  RunInit,
  RunPatch,
  RunRecord,
  Store,
} from "../store/types.js";
import type { ConsoleCapture } from "./console-capture.js";

/** Optional sync variants a store may offer for `process.on("exit")` and backpressure. */
export interface SyncStore extends Store, BatchWriter {
  createRunSync?(run: RunInit): RunRecord;
  appendHistorySync?(runId: string, rows: readonly HistoryRow[]): void;
  updateRunSync?(id: string, patch: Parameters<Store["updateRun"]>[1]): void;
  appendConsoleSync?(runId: string, lines: readonly ConsoleLine[]): void;
  /**
   * History batches, then a run patch, then console lines, all or nothing in one write (one
   * commit instead of three: what a short run's flush and finish cost is mostly commits).
   */
  writeRunSync?(runId: string, write: RunWrite): void;
  /**
   * Makes every write accepted so far durable, synchronously: a store that queues writes in
   * memory (online mode's outbox) puts the queue on disk and stops sending. Called when the
   * process ends next (a signal); stores that write through need not offer it.
   */
  persistSync?(): void;
}

/** What `SyncStore.writeRunSync` writes for one run. */
export interface RunWrite {
  /** The run is not stored yet: its row is inserted first, in the same write. */
  create?: RunInit;
  history: readonly HistoryBatch[];
  /** True while the store holds no history of the run: nothing to append to (a hint). */
  fresh?: boolean;
  patch?: RunPatch;
  console?: readonly ConsoleLine[];
}

/**
 * Options of `run.log` (W&B's `step` and `commit`).
 *
 * @example
 * ```ts
 * run.log({ loss: 0.5 }, { commit: false }); // pending, not yet a row
 * run.log({ acc: 0.9 });                      // one row: { loss, acc } at run.step
 * run.log({ lr: 0.1 }, { step: 10 });         // jumps to step 10 (pending until the next step)
 * ```
 */
export interface LogOptions {
  /** Explicit step: larger flushes the pending row and jumps; equal merges; smaller is dropped with a warning. */
  step?: number;
  /** `false` merges into the pending row without committing it. */
  commit?: boolean;
}

/** What `init` hands the `Run` constructor. */
export interface RunInternals {
  record: RunRecord;
  store: Store | null;
  dir: string;
  ownsStore: boolean;
  systemInterval: number;
  heartbeatInterval?: number;
  flushInterval?: number;
  maxBufferedRows?: number;
  maxBufferedBytes?: number;
  /** Records the process's stdout/stderr as console lines of the run (made by `init`). */
  capture?: ConsoleCapture;
  /** nvidia-smi command for GPU metrics (default from PATH); null turns GPU sampling off. */
  gpuCommand?: string | null;
  /**
   * The run's row is not stored yet: the run's first write (a flush, `finish`, the exit path)
   * inserts it in the same commit (`initTrialRun`). Only with a store that has `writeRunSync`.
   */
  create?: RunInit;
}
