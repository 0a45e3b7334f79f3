/**
 * The store contract: everything the tracker (`amltk/track`), the server and the CLI need from
 * a backend. SQLite (embedded, `src/store/sqlite/`) is the first backend; PostgreSQL comes
 * later and must pass the same conformance suite (`src/store/conformance.ts`).
 *
 * Methods are async so that a networked backend fits; the SQLite backend may also offer sync
 * variants for the one place that needs them (flushing from `process.on("exit")`).
 */

import { AmltkError, type AmltkErrorOptions } from "../shared/errors.js";
import type { HistoryBatch } from "./history-batch.js";

/**
 * Lifecycle of a run. `crashed` = its process died without `finish` (stale heartbeat / dead pid);
 * `pruned` = stopped early on purpose by a pruner (`run.finish({ state: "pruned" })`), terminal
 * like `finished` and `failed`. Only `running` runs are live (counted running, reaped).
 *
 * @example
 * ```ts
 * const live: RunState[] = ["running"];
 * const { runs } = await store.listRuns({ state: live });
 * ```
 */
export type RunState = "running" | "finished" | "failed" | "crashed" | "pruned";

/**
 * A stored history or summary value. NaN and +/-Infinity must round-trip as numbers.
 *
 * @example
 * ```ts
 * const v: StoredValue = { best: Number.POSITIVE_INFINITY, curve: [1, 0.5], ok: true };
 * run.summary.result = v;
 * ```
 */
export type StoredValue =
  | number
  | boolean
  | string
  | null
  | readonly number[]
  | { readonly [key: string]: StoredValue };

/** What `init` knows when it creates a run. */
export interface RunInit {
  id: string;
  project: string;
  entity?: string | null;
  group?: string | null;
  jobType?: string | null;
  name: string;
  notes?: string | null;
  tags?: readonly string[];
  config?: Record<string, unknown>;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Process that owns the run, used to detect a dead owner on the same host at once. */
  pid?: number;
  host?: string;
  /** The owner's `processStartToken(pid)`, so a reused PID is not taken for the owner. */
  ownerStart?: string | null;
}

/**
 * A run as stored.
 *
 * @example
 * ```ts
 * const rec: RunRecord | undefined = await store.getRun(run.id);
 * if (rec?.state === "crashed") console.log(`${rec.name} died at step ${rec.nextStep}`);
 * ```
 */
export interface RunRecord {
  id: string;
  project: string;
  entity: string | null;
  group: string | null;
  jobType: string | null;
  name: string;
  notes: string | null;
  tags: string[];
  config: Record<string, unknown>;
  summary: Record<string, StoredValue>;
  state: RunState;
  exitCode: number | null;
  /** Epoch milliseconds. */
  createdAt: number;
  heartbeatAt: number;
  finishedAt: number | null;
  pid: number | null;
  host: string | null;
  /**
   * Identifies the owner process beyond its PID (`processStartToken`: start time and boot id
   * on Linux); null where unknown. Optional for backends that do not record it.
   */
  ownerStart?: string | null;
  /** Highest committed `_step` + 1 (0 when no history): where a resumed run continues. */
  nextStep: number;
}

/** Fields a writer may change after creation. Omitted fields stay as they are. */
export interface RunPatch {
  name?: string;
  notes?: string | null;
  tags?: readonly string[];
  group?: string | null;
  jobType?: string | null;
  config?: Record<string, unknown>;
  summary?: Record<string, StoredValue>;
  state?: RunState;
  exitCode?: number | null;
  finishedAt?: number | null;
  heartbeatAt?: number;
  pid?: number | null;
  host?: string | null;
  ownerStart?: string | null;
}

/** One committed history row, W&B-style: `{ _step, _runtime, _timestamp, ...values }`. */
export interface HistoryRow {
  step: number;
  /** Seconds since the run started. */
  runtime: number;
  /** Epoch seconds (float). */
  timestamp: number;
  values: Record<string, StoredValue>;
}

/** One sample of system metrics (keys like `system/cpu`, `system/rss_mib`). */
export interface SystemSample {
  /** Epoch seconds (float). */
  timestamp: number;
  values: Record<string, number>;
}

/** One line of captured console output. */
export interface ConsoleLine {
  stream: "stdout" | "stderr";
  /** Epoch seconds (float). */
  timestamp: number;
  text: string;
}

/**
 * A run listing query (filters, sort, paging).
 *
 * @example
 * ```ts
 * const q: RunQuery = {
 *   project: "demo",
 *   state: ["finished", "failed"],
 *   where: [{ path: "config.lr", op: "<", value: 0.1 }],
 *   sort: "-summary.acc",
 *   limit: 10,
 * };
 * const { runs, total } = await store.listRuns(q);
 * ```
 */
export interface RunQuery {
  project?: string;
  state?: RunState | readonly RunState[];
  group?: string;
  /** Runs carrying every one of these tags. */
  tags?: readonly string[];
  /** Equality / range filters on config and summary values, e.g. `{ path: "config.lr", op: ">", value: 0.1 }`. */
  where?: readonly RunFilter[];
  /** Case-insensitive substring of the id, name, notes or a tag. */
  search?: string;
  /** e.g. `"createdAt"`, `"summary.cost"`, `"config.x"`; prefix `-` for descending. */
  sort?: string;
  limit?: number;
  offset?: number;
}

export interface RunFilter {
  /** `config.<key>`, `summary.<key>`, or a top-level field such as `name`. */
  path: string;
  op: "=" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "in";
  /** For `in`: an array of the values to match. */
  value: string | number | boolean | null | readonly (string | number | boolean)[];
}

export interface ProjectInfo {
  project: string;
  runCount: number;
  runningCount: number;
  lastCreatedAt: number;
  /** Latest createdAt / heartbeatAt / finishedAt of its runs (optional for older backends). */
  lastActivityAt?: number;
}

export interface HistoryKeyInfo {
  key: string;
  count: number;
  minStep: number;
  maxStep: number;
}

/** A range read of raw points for one run and key. */
export interface PointQuery {
  runId: string;
  key: string;
  minStep?: number;
  maxStep?: number;
  limit?: number;
}

export interface Point {
  step: number;
  timestamp: number;
  value: StoredValue;
}

/**
 * A downsampled read for charts: the x range is cut into `buckets` equal buckets and each
 * bucket keeps min, max and last, so spikes survive (W&B's "full fidelity"). Without
 * `minX`/`maxX` the range is that of every numeric point, non-finite ones included, so a run
 * whose loss turned NaN still shows where.
 */
export interface SeriesQuery {
  runIds: readonly string[];
  keys: readonly string[];
  x: "step" | "time";
  buckets: number;
  /** Read system metrics instead of history. */
  source?: "history" | "system";
  minX?: number;
  maxX?: number;
  /**
   * The caller only reads the answer (the server writing it as JSON): a store that caches
   * buckets may hand out its own objects instead of copies (PostgreSQL does: a live chart of 20
   * runs copied 4,000 buckets a read).
   */
  readOnly?: boolean;
}

/**
 * One bucket of a {@link SeriesQuery}'s answer. `min`, `max`, `last` and `count` describe the
 * bucket's finite values; NaN and ±Infinity are counted apart in `nonFinite`, so a chart can
 * mark them without bending its line. A bucket that holds only non-finite values has `count` 0
 * and NaN for `min`, `max` and `last`. History only: system metrics are finite samples.
 */
export interface SeriesBucket {
  /** Left edge of the bucket in x units (step, or epoch seconds for "time"). */
  x: number;
  min: number;
  max: number;
  last: number;
  count: number;
  /** The bucket's NaN, +Infinity and -Infinity values; absent when it has none. */
  nonFinite?: NonFiniteCounts;
}

/** How many NaN, +Infinity and -Infinity values a series bucket holds. */
export interface NonFiniteCounts {
  nan: number;
  posInf: number;
  negInf: number;
}

export interface Series {
  runId: string;
  key: string;
  buckets: SeriesBucket[];
}

/**
 * The writes of one {@link Store.transaction}: all of them are committed together, or none is.
 * It also keeps the server's exactly-once ledger (the last sequence number applied per run and
 * writer), so that the ledger commits with the data it describes.
 *
 * @example
 * ```ts
 * await store.transaction?.(async (tx) => {
 *   if (!(await tx.getRun("r1"))) await tx.createRun({ id: "r1", project: "p", name: "r1", createdAt: Date.now() });
 *   await tx.appendHistory("r1", [{ step: 0, runtime: 0, timestamp: Date.now() / 1000, values: { loss: 1 } }]);
 *   await tx.setIngestSeq("r1", "writer-1", 2);
 * });
 * ```
 */
export interface StoreTransaction {
  /** As {@link Store.getRun}, seeing this transaction's own writes. */
  getRun(id: string): Promise<RunRecord | undefined>;
  createRun(run: RunInit): Promise<void>;
  updateRun(id: string, patch: RunPatch): Promise<void>;
  appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void>;
  /** Columnar rows (the server's wire form); the batch is not kept after the call resolves. */
  appendHistoryBatch(runId: string, batch: HistoryBatch): Promise<void>;
  appendSystem(runId: string, samples: readonly SystemSample[]): Promise<void>;
  appendConsole(runId: string, lines: readonly ConsoleLine[]): Promise<void>;
  /** The last sequence number recorded for (run, writer), or undefined for a writer never seen. */
  ingestSeq(runId: string, writer: string): Promise<number | undefined>;
  setIngestSeq(runId: string, writer: string, seq: number): Promise<void>;
}

/**
 * A backend. Implementations: `SqliteStore` (embedded default); later PostgreSQL. `init`
 * accepts any `Store` through `{ store }`.
 *
 * @example
 * ```ts
 * const store: Store = new MemoryStore();
 * const run = await init({ store });
 * run.log({ x: 1 });
 * await run.finish();
 * const points = await store.readPoints({ runId: run.id, key: "x" });
 * ```
 */
export interface Store {
  readonly kind: string;
  createRun(run: RunInit): Promise<RunRecord>;
  /** Returns undefined for an unknown id. Detects and marks a dead owner as crashed first. */
  getRun(id: string): Promise<RunRecord | undefined>;
  updateRun(id: string, patch: RunPatch): Promise<void>;
  deleteRun(id: string): Promise<void>;
  listRuns(query?: RunQuery): Promise<{ runs: RunRecord[]; total: number }>;
  /**
   * Optional: the ids of `listRuns(query)`'s page, in order (a live chart's runs). A store may
   * answer it from memory while no write could have changed which runs the page holds; it need
   * not look for dead writers first (`listRuns` and the reapers do).
   */
  listRunIds?(query?: RunQuery): Promise<string[]>;
  listProjects(): Promise<ProjectInfo[]>;
  appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void>;
  readHistory(
    runId: string,
    opts?: { minStep?: number; maxStep?: number; limit?: number },
  ): Promise<HistoryRow[]>;
  readPoints(query: PointQuery): Promise<Point[]>;
  historyKeys(runId: string): Promise<HistoryKeyInfo[]>;
  readSeries(query: SeriesQuery): Promise<Series[]>;
  appendSystem(runId: string, samples: readonly SystemSample[]): Promise<void>;
  appendConsole(runId: string, lines: readonly ConsoleLine[]): Promise<void>;
  readConsole(runId: string, opts?: { offset?: number; limit?: number }): Promise<ConsoleLine[]>;
  /** Number of console lines of the run (optional: lets the server page from the end). */
  consoleCount?(runId: string): Promise<number>;
  /** Keys of the run's system metrics, sorted (optional: the server falls back to known keys). */
  systemKeys?(runId: string): Promise<string[]>;
  /**
   * Marks running runs whose owner is gone (on this host: a dead pid, or a pid now held by
   * another process; anywhere: a heartbeat older than `staleAfterMs`) as crashed; returns their ids.
   */
  reapCrashed(staleAfterMs?: number): Promise<string[]>;
  /**
   * Runs `fn` as one transaction: when it resolves, everything it wrote through `tx` is committed
   * at once; when it throws, nothing is, and the error is passed on. The server's ingest needs
   * this (it refuses a store without one); a client-side store (online mode) has none.
   *
   * What every backend guarantees: transactions are serializable where they meet. Two that
   * touch the same run (its record, history, system metrics or console) or the same (run,
   * writer) ledger entry take turns: the second sees everything the first committed, and a
   * ledger read by `ingestSeq` stays valid until this transaction ends, so a batch is applied
   * exactly once even when two server processes receive it. Transactions on different runs may
   * run at the same time (PostgreSQL runs them in parallel on its pool, under row and advisory
   * locks; SQLite and the in-memory store run all of a store's transactions one after another).
   * A backend may run `fn` again after a transient failure (a deadlock, a restarted database)
   * that rolled the first try back, so `fn` must have no effects outside `tx`.
   *
   * `fn` should wait on nothing but `tx`: a backend on one connection (SQLite) holds its write
   * lock until `fn` ends, and another write of the same process made meanwhile joins the
   * transaction.
   */
  transaction?<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  /**
   * A number that changes whenever any writer of this store, in this process or another, has
   * committed since the last call (SQLite: `PRAGMA data_version` plus this connection's own
   * writes; PostgreSQL: LISTEN/NOTIFY). Optional: the server's live watcher polls it to know
   * when to look for news, and without it looks every tick.
   */
  changeVersion?(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Thrown for bad input to a store (unknown run, duplicate id, unstorable value); `code` says which.
 *
 * @example
 * ```ts
 * try {
 *   await store.updateRun("nope", { notes: "x" });
 * } catch (e) {
 *   if (e instanceof StoreError && e.code === "not_found") console.warn(e.message);
 * }
 * ```
 */
export class StoreError extends AmltkError<StoreErrorCode> {
  override name = "StoreError";
  constructor(message: string, code: StoreErrorCode, options?: AmltkErrorOptions) {
    super(code, message, options);
  }
}

/**
 * What a {@link StoreError} is about: `not_found` (no such run), `duplicate` (an id that
 * exists), `invalid` (a value or query the store refuses), `busy` (locked, or a server that
 * did not answer), `closed`, `full` (no space left; see `StoreFullError`), `readonly` (the store
 * cannot be written).
 */
export type StoreErrorCode =
  | "not_found"
  | "duplicate"
  | "invalid"
  | "busy"
  | "closed"
  | "full"
  | "readonly";
