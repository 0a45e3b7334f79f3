/**
 * The worker side of the W&B plugin: around each trial, open a run, attach it to the trial,
 * call the function, record the report and close the run. Runs wherever the trial runs
 * (in-process, a worker thread or a worker process), imported by module URL.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ModuleRef } from "../scheduling/executors/executor.js";
import { markHostCheckpointed } from "../store/sqlite/checkpointer.js";
import type { SqliteStore } from "../store/sqlite/index.js";
import { type InitOptions, init, initTrialRun, type Run } from "../track/index.js";
import { defaultStoreDir } from "../track/init-options.js";
import { isPruned } from "../trial/pruning.js";
import type { TrialReport } from "../trial/report.js";
import type { Trial } from "../trial/trial.js";
import { localModifier } from "./local-modifiers.js";
import { WandbParams, type WandbParamsInit } from "./params.js";
import type { ModifyFn } from "./plugin.js";

/** @internal where workers import {@link wandbTrialWrapper} from. */
export const WRAPPER_URL = import.meta.url;

/** @internal what the host sends with each trial (plain data). */
export interface WrapperOptions {
  params: WandbParamsInit;
  modify?: ModuleRef;
  /** The run's id, given by the host for a trial sent to a worker (`WandbTrialTracker.preSubmit`). */
  runId?: string;
  /**
   * The store file whose WAL the host checkpoints (a local worker pool's offline runs,
   * `WandbTrialTracker.preSubmit`): this worker's connections to it leave checkpoints to the host.
   */
  hostCheckpoints?: string;
}

/**
 * Store handles for marking crashed runs, one per folder per worker, opened on the first
 * crash only: normal runs go through `init`'s own shared store.
 */
const stores = new Map<string, SqliteStore>();

async function crashStore(dir: string): Promise<SqliteStore> {
  const abs = resolve(dir);
  let store = stores.get(abs);
  // The folder was deleted under us (e.g. a test cleaned up): start a fresh handle.
  if (store && !existsSync(join(abs, "amltk.db"))) {
    stores.delete(abs);
    store = undefined;
  }
  if (!store) {
    // Loaded on the first crash only: workers of a disabled plugin never load better-sqlite3.
    const { SqliteStore } = await import("../store/sqlite/index.js");
    store = SqliteStore.openSync(abs);
    stores.set(abs, store);
  }
  return store;
}

async function resolveModify(ref: ModuleRef): Promise<ModifyFn | undefined> {
  if (ref.moduleUrl === "local:") return localModifier(ref.exportName);
  const mod = (await import(ref.moduleUrl)) as Record<string, unknown>;
  const fn = mod[ref.exportName];
  if (typeof fn !== "function") {
    throw new TypeError(`${ref.moduleUrl} has no exported modify function "${ref.exportName}"`);
  }
  return fn as ModifyFn;
}

function applyModify(modify: ModifyFn, trial: Trial, params: WandbParams): WandbParams {
  const changed = modify(trial, params) as unknown;
  // Duck-typed: the user's module may load amltk/wandb from another copy (dist vs src).
  const toJSON = (changed as { toJSON?: unknown } | null)?.toJSON;
  if (typeof toJSON !== "function") {
    throw new TypeError(
      `WandbPlugin: modify must return WandbParams (e.g. params.modify({ tags })), got ` +
        `${changed === null ? "null" : typeof changed} for trial "${trial.name}"`,
    );
  }
  return new WandbParams(toJSON.call(changed) as WandbParamsInit);
}

/** The profile fields a report row keeps, as `profile/<name>/<part>/<field>` keys. */
const PROFILE_PARTS = ["time", "memory", "memory"] as const;
const PROFILE_FIELDS = ["duration", "diff", "end"] as const;

/*
 * The report row and the summary copy run once per trial in every worker. Their loops are
 * indexed over `Object.keys`, not `for (const [k, v] of Object.entries(...))`: a destructured
 * for-of compiles to the iterator protocol with an iterator-closing try/finally per pair, four
 * times the bytecode, which each worker interprets and then hands to V8's optimizing compiler
 * (a one-time cost per worker that a trial-sized run pays a share of).
 */

/** The report as one history row: status, metric values, profiled time/memory, the error. */
function reportRow(report: TrialReport): Record<string, unknown> {
  const row: Record<string, unknown> = { status: report.status };
  const values = report.values;
  const metrics = Object.keys(values);
  for (let i = 0; i < metrics.length; i++) row[`metric/${metrics[i]}`] = values[metrics[i]];
  const profiles = report.profiles as unknown as Record<string, ProfileParts>;
  const names = Object.keys(profiles);
  for (let i = 0; i < names.length; i++) addProfile(row, names[i], profiles[names[i]]);
  if (report.exception) row.exception = report.exception;
  if (report.traceback) row.traceback = report.traceback;
  return row;
}

type ProfileParts = Record<string, Record<string, unknown> | undefined>;

/**
 * One profile's durations and memory, not the absolute start/end clocks: rows carry _timestamp
 * already, and every extra key is one more column to write per trial.
 */
function addProfile(row: Record<string, unknown>, name: string, parts: ProfileParts): void {
  for (let i = 0; i < PROFILE_FIELDS.length; i++) {
    const part = PROFILE_PARTS[i];
    const v = parts[part]?.[PROFILE_FIELDS[i]];
    if (typeof v === "number" && Number.isFinite(v))
      row[`profile/${name}/${part}/${PROFILE_FIELDS[i]}`] = v;
  }
}

/** Copies the numeric values of `source` into the run's summary. */
function copyNumbers(source: Record<string, unknown> | undefined, summary: Run["summary"]): void {
  if (source === undefined || source === null) return;
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const v = source[keys[i]];
    if (typeof v === "number") summary[keys[i]] = v;
  }
}

/**
 * Exit code 0 for success, 1 otherwise. A pruned trial (a fail report with `Pruned`) closes
 * as `pruned` with exit code 0, as Optuna keeps PRUNED apart from FAIL: the pruner stopped it
 * on purpose. A crashed trial's run is then marked crashed (W&B would say failed: we keep "the
 * function threw" apart from "the trial reported a failure"); an offline run only, since that
 * is the store this worker can write directly.
 */
async function closeRun(
  run: Run,
  params: WandbParams,
  dir: string,
  report: Pick<TrialReport, "status" | "exception">,
) {
  const status = report.status;
  await run.finish(isPruned(report) ? { state: "pruned" } : status === "success" ? 0 : 1);
  if (status === "crashed" && (params.mode ?? "offline") === "offline") {
    await (await crashStore(dir)).updateRun(run.id, { state: "crashed" });
  }
}

/** `init`'s options for the trial's run. */
function runOptions(
  params: WandbParams,
  trial: Trial,
  dir: string,
  runId: string | undefined,
): InitOptions {
  return {
    id: runId,
    project: params.project,
    group: params.group,
    entity: params.entity,
    mode: params.mode,
    baseUrl: params.baseUrl,
    apiKey: params.apiKey,
    protocol: params.protocol,
    dir,
    jobType: params.jobType,
    tags: params.tags ? [...params.tags] : undefined,
    notes: params.notes,
    resume: params.resume,
    name: params.name ?? trial.name,
    config: params.config(trial.config),
    // Several runs may be open at once in one process (threads, async trials).
    reinit: "create_new",
  };
}

/**
 * Logs the report as the run's last row and copies the numeric summary values, unless the
 * function finished the run itself (the "without plugin" habit). Never throws: tracking must
 * not turn the trial's outcome into something else, so it says what was lost instead.
 */
function recordReport(run: Run, report: TrialReport, trial: Trial): void {
  try {
    if (run.finished) return;
    run.log(reportRow(report));
    copyNumbers(report.summary, run.summary);
    copyNumbers(trial.summary, run.summary);
  } catch (error) {
    console.warn(`amltk/wandb: trial "${trial.name}": report not logged: ${String(error)}`);
  }
}

/**
 * The worker-side wrapper the trial tracker names (see `WandbTrialTracker.trialWrapper`):
 * applies `modify`, opens a run named after the trial with its config, attaches it as
 * `trial.plugins.wandb`, calls the function, logs the report, copies numeric summary values
 * into `run.summary` and finishes the run. Exported only so workers can import it.
 *
 * @example
 * ```ts
 * // What a worker does for each trial (Trial.Task calls it; you normally do not):
 * const report = await wandbTrialWrapper(trial, { params: { project: "p" } }, (t) =>
 *   targetFunction(t),
 * );
 * ```
 */
export async function wandbTrialWrapper(
  trial: Trial,
  rawOptions: unknown,
  next: (trial: Trial) => Promise<TrialReport>,
): Promise<TrialReport> {
  const options = rawOptions as WrapperOptions;
  // No await without a modify function: a promise per trial for nothing.
  const params = options.modify
    ? await modifiedParams(options.modify, trial, options.params)
    : new WandbParams(options.params);
  const dir = params.dir ?? defaultStoreDir();
  const run = await startTrialRun(options, params, trial, dir);
  trial.plugins.wandb = run;
  const report = await callTrial(next, trial, run, params, dir);
  return endTrialRun(run, params, dir, report, trial);
}

/*
 * The wrapper runs once per trial, each of its awaits a re-entry: as one ~490-byte async
 * function V8 optimized it near a worker's 300th trial, with `init`'s options, the report's
 * recording and the run's closing inlined (see `Run`'s constructor on V8's tier-up rule). Its
 * steps as functions of their own stay below that rule within a worker's ~1,000 trials.
 */

/** The plugin's params with the trial's `modify` applied. */
async function modifiedParams(
  ref: ModuleRef,
  trial: Trial,
  init: WandbParamsInit,
): Promise<WandbParams> {
  const params = new WandbParams(init);
  const modify = await resolveModify(ref);
  return modify ? applyModify(modify, trial, params) : params;
}

/** Opens the trial's run. */
function startTrialRun(
  options: WrapperOptions,
  params: WandbParams,
  trial: Trial,
  dir: string,
): Promise<Run> {
  if (options.hostCheckpoints !== undefined) markHostCheckpointed(options.hostCheckpoints);
  // With a host-given id (a local worker pool), the host records the run if the worker dies
  // before the run's first write, so the row can wait for that write (one commit per short
  // trial). Elsewhere (in-process, a queue) the row is committed at init as with `init`.
  const start = options.runId === undefined ? init : initTrialRun;
  return start(runOptions(params, trial, dir, options.runId));
}

/** Calls the function; when it throws, closes the run as crashed and throws that again. */
async function callTrial(
  next: (trial: Trial) => Promise<TrialReport>,
  trial: Trial,
  run: Run,
  params: WandbParams,
  dir: string,
): Promise<TrialReport> {
  try {
    return await next(trial);
  } catch (error) {
    await closeRun(run, params, dir, { status: "crashed", exception: null });
    throw error;
  }
}

/** Records the report in the run and closes it; resolves to the report. */
async function endTrialRun(
  run: Run,
  params: WandbParams,
  dir: string,
  report: TrialReport,
  trial: Trial,
): Promise<TrialReport> {
  try {
    recordReport(run, report, trial);
  } finally {
    await closeRun(run, params, dir, report);
  }
  return report;
}
