/**
 * W&B-style run API over a `Store` (default: the embedded SQLite store).
 *
 * ```ts
 * const run = await init({ project: "demo", config: { lr: 0.1 } });
 * run.defineMetric("acc", { summary: "max" });
 * run.log({ train: { loss: 0.3 }, acc: 0.9 }); // stored as "train/loss" and "acc" at step 0
 * await run.finish();
 * ```
 *
 * - `init` is async (it opens the store and may resume a run). Modes: "offline" (default),
 *   "disabled" (same API, writes nothing), "online" (through a server, `./online/`). The
 *   default store of a folder stays open for the process and is closed at exit.
 * - `log` follows W&B's step rules: a plain call commits a row at `run.step` and advances;
 *   `commit: false` merges into the pending row; an explicit larger `step` commits the pending
 *   row and jumps; an equal step merges; a smaller step is dropped with a warning.
 * - Nested plain objects are flattened to `a/b` keys. Values: numbers (incl. NaN, +/-Infinity),
 *   booleans, strings, null, arrays of numbers; anything else throws `TrackError` naming the key.
 * - Rows are buffered in memory as columns (`history-buffer.ts`: Float64Arrays per numeric key)
 *   and written in batches every ~100 ms, at `finish`, and at process exit (through the store's
 *   sync methods when it has them). Past `maxBufferedBytes` (1 MiB) `log` writes synchronously
 *   while a flush is in flight: memory stays bounded even in a loop that never yields.
 * - System metrics under `system/` every `systemInterval` ms (`system-metrics.ts`, GPUs through
 *   nvidia-smi when present); `console: "capture"` keeps stdout/stderr lines (`console-capture.ts`).
 * - Heavy or optional modules (better-sqlite3, the online sink, console capture,
 *   node:child_process) load on first use: a short script's cold start pays only for what it uses.
 */
export { TrackError } from "./errors.js";
export { type InitOptions, init, initTrialRun, type Mode, type Reinit } from "./init.js";
export { flattenLog } from "./log-payload.js";
export { MemoryStore } from "./memory-store.js";
export { type LogOptions, Run } from "./run.js";
export type { FinishOptions, FinishState } from "./run-close.js";
export type { MetricOptions, SummaryAgg } from "./summary.js";
