import { basename } from "node:path";
import type { HistoryRow, RunState, Store, StoredValue } from "../store/types.js";
import { WandbLogError } from "./errors.js";
import { readWandbLog } from "./read-wandb-log.js";
import { deletePath, setPath, unwrapConfig } from "./wandb-config.js";
import type { WandbItem, WandbRecord, WandbRunInfo } from "./wandb-records.js";

/** Rows written per `appendHistory` call: bounds memory on long runs. */
const BATCH = 2000;
/** Keys W&B adds to every summary; our summary holds only what the user logged or set. */
const SUMMARY_INTERNAL = new Set(["_wandb", "_runtime", "_step", "_timestamp"]);

/**
 * Options of `importWandbRun`.
 *
 * @example
 * ```ts
 * const options: WandbImportOptions = { force: true }; // re-import over an earlier copy
 * await importWandbRun("wandb/offline-run-20240101_000000-abc/run-abc.wandb", store, options);
 * ```
 */
export interface WandbImportOptions {
  /** Replace a run with the same id already in the store (default: skip it). */
  force?: boolean;
}

/**
 * What `importWandbRun` did with one `.wandb` file.
 *
 * @example
 * ```ts
 * for (const file of await findWandbRunFiles(["./wandb"])) {
 *   const res: WandbImportResult = await importWandbRun(file, store);
 *   console.log(res.runId, res.status, `${res.steps} steps`, res.error ? "damaged" : "ok");
 * }
 * ```
 */
export interface WandbImportResult {
  file: string;
  runId: string;
  /** `skipped`: a run with this id was already in the store (and `force` was not set). */
  status: "imported" | "replaced" | "skipped";
  /** History rows written. */
  steps: number;
  /** History rows dropped because their step was not above the previous one. */
  droppedSteps: number;
  state: RunState | null;
  /** Set when the file was damaged: everything before `error.offset` was imported. */
  error?: WandbLogError;
}

/** The run id from `run-<id>.wandb`, for a log damaged before its run record. */
function idFromFile(file: string): string {
  return basename(file)
    .replace(/^run-/, "")
    .replace(/\.wandb$/, "");
}

/**
 * Imports one W&B run (`run-<id>.wandb`) into `store`, keeping W&B's run id, name, project,
 * group, job type, tags, notes, config, history (`_step`, `_runtime`, `_timestamp`), summary
 * (incl. `define_metric` aggregate dicts) and exit code. A run already in the store is skipped
 * unless `force`. A damaged log does not throw: what came before the damage is imported, the
 * run is marked `crashed` unless its exit was read, and `result.error` says where. It throws
 * `WandbLogError` only when nothing could be read (not a W&B file, damage before the run record).
 *
 * @example
 * ```ts
 * import { SqliteStore } from "amltk/server";
 * import { importWandbRun } from "amltk/track";
 * const store = await SqliteStore.open("./amltk-runs");
 * const res = await importWandbRun("wandb/offline-run-20240101_000000-abc/run-abc.wandb", store);
 * console.log(res.runId, res.status, res.steps, res.error?.message);
 * await store.close();
 * ```
 */
export async function importWandbRun(
  file: string,
  store: Store,
  opts: WandbImportOptions = {},
): Promise<WandbImportResult> {
  const run = new RunImport(file, store, opts);
  const error = await run.readLog();
  if (!(await run.flushOrMarkCrashed())) return run.skippedResult(error);
  return run.close(error);
}

/** What a history record holds, in the form a store row needs. */
type HistoryRecord = Extract<WandbRecord, { kind: "history" }>;

/**
 * One import in progress: the run's record, config, summary and history as read so far, and
 * whether the run exists in the store yet. The run is created on first need: the run record
 * comes second in a log, and history rows before it wait.
 */
class RunImport {
  private info: WandbRunInfo | undefined;
  private readonly config: Record<string, unknown> = {};
  private readonly summary: Record<string, StoredValue> = {};
  /** History rows read and not yet written. */
  private rows: HistoryRow[] = [];
  private runId: string | undefined;
  private created = false;
  private status: WandbImportResult["status"] = "imported";
  private steps = 0;
  private droppedSteps = 0;
  private lastStep = -1;
  private lastTimestamp: number | undefined;
  private exit: { exitCode: number; runtime?: number } | undefined;

  constructor(
    private readonly file: string,
    private readonly store: Store,
    private readonly opts: WandbImportOptions,
  ) {}

  /**
   * Reads the log to its end (or until the run turns out to be skipped). Returns the damage
   * that ended it early; throws when nothing usable came before the damage, and any store error.
   */
  async readLog(): Promise<WandbLogError | undefined> {
    try {
      for await (const rec of readWandbLog(this.file)) {
        if (!(await this.apply(rec))) break;
      }
      return undefined;
    } catch (e) {
      if (!(e instanceof WandbLogError)) {
        await this.markCrashed();
        throw e;
      }
      // Nothing usable before the damage (e.g. not a W&B file at all): no run to create.
      if (!this.info && this.rows.length === 0 && !this.created) throw e;
      return e;
    }
  }

  /** Applies one record; false when the run is to be skipped and reading can stop. */
  private async apply(rec: WandbRecord): Promise<boolean> {
    switch (rec.kind) {
      case "run":
        this.info = rec.run;
        this.applyConfig(rec.run.config);
        this.applySummary(rec.run.summary);
        // Create (or find the run already stored) now: a skip needs no further reading.
        return this.ensureRun();
      case "config":
        this.applyConfig(rec.update);
        for (const p of rec.remove) deletePath(this.config, p);
        return true;
      case "summary":
        this.applySummary(rec.update);
        for (const p of rec.remove) delete this.summary[p.join("/")];
        return true;
      case "history":
        this.addHistory(rec);
        return this.rows.length < BATCH || this.flush();
      case "exit":
        this.exit = { exitCode: rec.exitCode, runtime: rec.runtime };
        return true;
      default:
        return true;
    }
  }

  private applyConfig(update: readonly WandbItem[]): void {
    for (const it of update) setPath(this.config, it.path, it.value);
  }

  private applySummary(update: readonly WandbItem[]): void {
    for (const it of update) {
      if (!SUMMARY_INTERNAL.has(it.path[0]!)) {
        this.summary[it.path.join("/")] = it.value as StoredValue;
      }
    }
  }

  /**
   * Queues a history row; a step not above the previous one is dropped (and counted). Missing
   * `_timestamp`/`_runtime` are carried over from the previous row or the run's start.
   */
  private addHistory(rec: HistoryRecord): void {
    const values: Record<string, StoredValue> = {};
    for (const it of rec.items) values[it.path.join("/")] = it.value as StoredValue;
    const { _step, _runtime, _timestamp, ...rest } = values;
    const step = rec.step ?? (typeof _step === "number" ? _step : this.lastStep + 1);
    if (step <= this.lastStep) {
      this.droppedSteps++;
      return;
    }
    this.lastStep = step;
    const timestamp =
      typeof _timestamp === "number" ? _timestamp : (this.lastTimestamp ?? this.startMs() / 1000);
    this.lastTimestamp = timestamp;
    const runtime = typeof _runtime === "number" ? _runtime : timestamp - this.startMs() / 1000;
    this.rows.push({ step, runtime, timestamp, values: rest });
  }

  private startMs(): number {
    return this.info?.startTime ?? (this.rows[0] ? this.rows[0].timestamp * 1000 : Date.now());
  }

  /** Creates the run if not done yet; false when it is already stored and is to be skipped. */
  private async ensureRun(): Promise<boolean> {
    if (this.created) return true;
    const info = this.info;
    const runId = info?.id || idFromFile(this.file);
    this.runId = runId;
    if (await this.store.getRun(runId)) {
      if (!this.opts.force) {
        this.status = "skipped";
        return false;
      }
      await this.store.deleteRun(runId);
      this.status = "replaced";
    }
    await this.store.createRun({
      id: runId,
      project: info?.project ?? "uncategorized",
      entity: info?.entity ?? null,
      group: info?.group ?? null,
      jobType: info?.jobType ?? null,
      name: info?.name ?? runId,
      notes: info?.notes ?? null,
      tags: info?.tags ?? [],
      config: {},
      createdAt: this.startMs(),
      host: info?.host,
    });
    this.created = true;
    return true;
  }

  /** Writes the queued rows (creating the run first); false when the run is skipped. */
  private async flush(): Promise<boolean> {
    if (!(await this.ensureRun())) return false;
    if (this.rows.length > 0) await this.store.appendHistory(this.runId!, this.rows);
    this.steps += this.rows.length;
    this.rows = [];
    return true;
  }

  /** The last {@link flush}, marking the run crashed if the store refuses it. */
  async flushOrMarkCrashed(): Promise<boolean> {
    try {
      return await this.flush();
    } catch (e) {
      await this.markCrashed();
      throw e;
    }
  }

  /**
   * A store error (e.g. a value it refuses) after the run was created leaves the rows written so
   * far; the run must not look alive, so it is closed as crashed before the error goes up.
   */
  private async markCrashed(): Promise<void> {
    if (this.created) {
      await this.store.updateRun(this.runId!, { state: "crashed" }).catch(() => undefined);
    }
  }

  skippedResult(error: WandbLogError | undefined): WandbImportResult {
    const { file, runId } = this;
    return {
      file,
      runId: runId!,
      status: "skipped",
      steps: 0,
      droppedSteps: 0,
      state: null,
      error,
    };
  }

  /**
   * Writes the config, summary and end state: finished or failed by the exit code read, crashed
   * when the log ended without one; the end time is the exit's runtime or the last row's time.
   */
  async close(error: WandbLogError | undefined): Promise<WandbImportResult> {
    delete this.config._wandb;
    const createdAt = this.startMs();
    const lastMs = this.lastTimestamp !== undefined ? this.lastTimestamp * 1000 : createdAt;
    const exit = this.exit;
    const state: RunState = exit ? (exit.exitCode === 0 ? "finished" : "failed") : "crashed";
    const endMs = exit?.runtime ? Math.max(createdAt + exit.runtime * 1000, lastMs) : lastMs;
    await this.store.updateRun(this.runId!, {
      config: unwrapConfig(this.config),
      summary: this.summary,
      state,
      exitCode: exit ? exit.exitCode : null,
      finishedAt: exit ? endMs : null,
      heartbeatAt: endMs,
      pid: null,
    });
    const { file, runId, status, steps, droppedSteps } = this;
    return { file, runId: runId!, status, steps, droppedSteps, state, error };
  }
}
