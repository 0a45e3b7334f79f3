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
 *   "disabled" (same API, writes nothing), "online" (not available yet: throws `TrackError`).
 * - `log` follows W&B's step rules: a plain call commits a row at `run.step` and advances;
 *   `commit: false` merges into the pending row; an explicit larger `step` commits the pending
 *   row and jumps; an equal step merges; a smaller step is dropped with a warning.
 * - Nested plain objects are flattened to `a/b` keys. Values: numbers (incl. NaN, +/-Infinity),
 *   booleans, strings, null, arrays of numbers; anything else throws `TrackError` naming the key.
 * - Rows are buffered in memory and written in batches every ~100 ms, at `finish`, and at process
 *   exit (through the store's `appendHistorySync` when it has one).
 */
export { TrackError } from "./errors.js";
export { type InitOptions, init, type Mode, type Reinit } from "./init.js";
export { MemoryStore } from "./memory-store.js";
export { type LogOptions, Run } from "./run.js";
export type { MetricOptions, SummaryAgg } from "./summary.js";
export { flattenLog } from "./values.js";
