import { basename } from "node:path";
import type { HistoryRow, RunState, Store, StoredValue } from "../store/types.js";
import { WandbLogError } from "./errors.js";
import { readWandbLog } from "./read-wandb-log.js";
import type { WandbItem, WandbRunInfo } from "./wandb-records.js";

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

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let obj = target;
  for (const part of path.slice(0, -1)) {
    const next = obj[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) obj[part] = {};
    obj = obj[part] as Record<string, unknown>;
  }
  obj[path[path.length - 1]!] = value;
}

function deletePath(target: Record<string, unknown>, path: readonly string[]): void {
  let obj: unknown = target;
  for (const part of path.slice(0, -1)) obj = (obj as Record<string, unknown> | undefined)?.[part];
  if (obj && typeof obj === "object")
    delete (obj as Record<string, unknown>)[path[path.length - 1]!];
}

/**
 * W&B config files wrap each value as `{ value, desc? }`. The log itself does not, but configs
 * carried over from `config.yaml` may: unwrap only when every key is wrapped, so a user's own
 * `{ value: ... }` dict next to plain values stays as it is.
 */
function unwrapConfig(config: Record<string, unknown>): Record<string, unknown> {
  const entries = Object.entries(config);
  const wrapped = (v: unknown): v is { value: unknown } =>
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    "value" in v &&
    Object.keys(v).every((k) => k === "value" || k === "desc");
  if (entries.length === 0 || !entries.every(([, v]) => wrapped(v))) return config;
  return Object.fromEntries(entries.map(([k, v]) => [k, (v as { value: unknown }).value]));
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
  let info: WandbRunInfo | undefined;
  const config: Record<string, unknown> = {};
  const summary: Record<string, StoredValue> = {};
  let rows: HistoryRow[] = [];
  let runId: string | undefined;
  let created = false;
  let status: WandbImportResult["status"] = "imported";
  let steps = 0;
  let droppedSteps = 0;
  let lastStep = -1;
  let lastTimestamp: number | undefined;
  let exit: { exitCode: number; runtime?: number } | undefined;
  let error: WandbLogError | undefined;

  const applyConfig = (update: readonly WandbItem[]) => {
    for (const it of update) setPath(config, it.path, it.value);
  };
  const applySummary = (update: readonly WandbItem[]) => {
    for (const it of update) {
      if (!SUMMARY_INTERNAL.has(it.path[0]!)) summary[it.path.join("/")] = it.value as StoredValue;
    }
  };
  const startMs = () => info?.startTime ?? (rows[0] ? rows[0].timestamp * 1000 : Date.now());

  // Creates the run on first need (the run record comes second in a log; rows before it wait).
  // Returns false when the run is already stored and is to be skipped.
  const ensureRun = async (): Promise<boolean> => {
    if (created) return true;
    runId = info?.id || idFromFile(file);
    if (await store.getRun(runId)) {
      if (!opts.force) {
        status = "skipped";
        return false;
      }
      await store.deleteRun(runId);
      status = "replaced";
    }
    await store.createRun({
      id: runId,
      project: info?.project ?? "uncategorized",
      entity: info?.entity ?? null,
      group: info?.group ?? null,
      jobType: info?.jobType ?? null,
      name: info?.name ?? runId,
      notes: info?.notes ?? null,
      tags: info?.tags ?? [],
      config: {},
      createdAt: startMs(),
      host: info?.host,
    });
    created = true;
    return true;
  };
  const flush = async (): Promise<boolean> => {
    if (!(await ensureRun())) return false;
    if (rows.length > 0) await store.appendHistory(runId!, rows);
    steps += rows.length;
    rows = [];
    return true;
  };

  // A store error (e.g. a value it refuses) after the run was created leaves the rows written so
  // far; the run must not look alive, so it is closed as crashed before the error goes up.
  const markCrashed = async () => {
    if (created) await store.updateRun(runId!, { state: "crashed" }).catch(() => undefined);
  };

  try {
    for await (const rec of readWandbLog(file)) {
      if (rec.kind === "run") {
        info = rec.run;
        applyConfig(rec.run.config);
        applySummary(rec.run.summary);
        // Create (or find the run already stored) now: a skip needs no further reading.
        if (!(await ensureRun())) break;
      } else if (rec.kind === "config") {
        applyConfig(rec.update);
        for (const p of rec.remove) deletePath(config, p);
      } else if (rec.kind === "summary") {
        applySummary(rec.update);
        for (const p of rec.remove) delete summary[p.join("/")];
      } else if (rec.kind === "history") {
        const values: Record<string, StoredValue> = {};
        for (const it of rec.items) values[it.path.join("/")] = it.value as StoredValue;
        const { _step, _runtime, _timestamp, ...rest } = values;
        const step = rec.step ?? (typeof _step === "number" ? _step : lastStep + 1);
        if (step <= lastStep) {
          droppedSteps++;
          continue;
        }
        lastStep = step;
        const timestamp =
          typeof _timestamp === "number" ? _timestamp : (lastTimestamp ?? startMs() / 1000);
        lastTimestamp = timestamp;
        const runtime = typeof _runtime === "number" ? _runtime : timestamp - startMs() / 1000;
        rows.push({ step, runtime, timestamp, values: rest });
        if (rows.length >= BATCH && !(await flush())) break;
      } else if (rec.kind === "exit") {
        exit = { exitCode: rec.exitCode, runtime: rec.runtime };
      }
    }
  } catch (e) {
    if (!(e instanceof WandbLogError)) {
      await markCrashed();
      throw e;
    }
    // Nothing usable before the damage (e.g. not a W&B file at all): no run to create.
    if (!info && rows.length === 0 && !created) throw e;
    error = e;
  }
  const flushed = await flush().catch(async (e: unknown) => {
    await markCrashed();
    throw e;
  });
  if (!flushed) {
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

  delete config._wandb;
  const createdAt = startMs();
  const lastMs = lastTimestamp !== undefined ? lastTimestamp * 1000 : createdAt;
  const state: RunState = exit ? (exit.exitCode === 0 ? "finished" : "failed") : "crashed";
  const endMs = exit?.runtime ? Math.max(createdAt + exit.runtime * 1000, lastMs) : lastMs;
  await store.updateRun(runId!, {
    config: unwrapConfig(config),
    summary,
    state,
    exitCode: exit ? exit.exitCode : null,
    finishedAt: exit ? endMs : null,
    heartbeatAt: endMs,
    pid: null,
  });
  return { file, runId: runId!, status, steps, droppedSteps, state, error };
}
