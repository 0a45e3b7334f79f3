import { cp, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { RunRecord, RunState, Store, StoreTransaction } from "../store/types.js";
import { WandbLogError } from "./errors.js";
import { markPartsImported, partsToMerge, type RunPart } from "./part-ledger.js";
import { readWandbLog } from "./read-wandb-log.js";
import { type ImportCounts, type ImportWriter, RunImport } from "./run-import.js";

/**
 * Options of `importWandbRun`.
 *
 * @example
 * ```ts
 * const options: WandbImportOptions = { force: true, filesDir: "./amltk-runs/files" };
 * await importWandbRun("wandb/offline-run-20240101_000000-abc/run-abc.wandb", store, options);
 * ```
 */
export interface WandbImportOptions {
  /**
   * Replace a run with the same id already in the store. Default: a part of a resumed run not
   * yet imported (started after the stored parts) is merged into it; parts already imported
   * are skipped; a part that started before the stored ones throws `WandbPartOrderError`.
   */
  force?: boolean;
  /**
   * Copy each run folder's `files/` (media, tables, W&B's own files) to `<filesDir>/<run-id>/`
   * (default: not copied). `amltk import wandb` uses `<store dir>/files`.
   */
  filesDir?: string;
}

/**
 * What `importWandbRun` did with one run (one `.wandb` file, or the parts of a resumed run).
 *
 * @example
 * ```ts
 * for (const file of await findWandbRunFiles(["./wandb"])) {
 *   const res: WandbImportResult = await importWandbRun(file, store);
 *   console.log(res.runId, res.status, `${res.steps} steps`, res.error ? "damaged" : "ok");
 * }
 * ```
 */
export interface WandbImportResult extends ImportCounts {
  /** The first file of the run (its first part). */
  file: string;
  /** Every part read, in start-time order. */
  files: string[];
  runId: string;
  /**
   * `skipped`: the run (each part given) was already in the store and `force` was not set;
   * `merged`: later parts of a resumed run were added to the run already stored (`files` lists
   * them, and the counts are theirs).
   */
  status: "imported" | "replaced" | "merged" | "skipped";
  state: RunState | null;
  /** Files copied into `filesDir`. */
  filesCopied: number;
  /** Set when a file was damaged: everything before `error.offset` was imported. */
  error?: WandbLogError;
}

/** The run id from `run-<id>.wandb`, for a log damaged before its run record. */
function idFromFile(file: string): string {
  return basename(file)
    .replace(/^run-/, "")
    .replace(/\.wandb$/, "");
}

/**
 * Imports one W&B run into `store`, keeping W&B's run id, name, project, group, job type, tags,
 * notes (the last ones written, when they changed mid-run), config, history (`_step`,
 * `_runtime`, `_timestamp`; media and histograms as one value each), summary (incl.
 * `define_metric` aggregate dicts), system metrics, console output and exit code. `file` is a
 * `run-<id>.wandb` file, or the files of the parts of a resumed run (same id, one folder per
 * part), merged in start-time order as `wandb sync` does.
 *
 * The run is written in one store transaction (where the store has them): a failed import
 * leaves nothing behind, and a run already in the store is skipped unless `force` (but see
 * below for resumed runs). A history row
 * the store cannot hold (a step above 2^53 - 1, a key over 512 characters) is dropped and counted
 * in `droppedRows`; a row whose step does not increase in `droppedSteps`. A damaged log does not
 * throw: what came before the damage is imported, the run is marked `crashed` unless its exit
 * was read, and `result.error` says where. It throws `WandbLogError` only when nothing could be
 * read (not a W&B file, damage before the run record). While the transaction is open (SQLite:
 * the write lock), other writes of the same process join it: import from a process of its own.
 *
 * A resumed run imported one folder per call: a part not yet in the stored run that started
 * after its parts is merged into it (status `merged`, on stores with transactions; the parts
 * imported are marked in the ingest ledger), a part already imported is skipped, and a part that
 * started before the stored ones throws `WandbPartOrderError` (import all the folders together
 * with `force`).
 *
 * @example
 * ```ts
 * import { SqliteStore } from "amltk/server";
 * import { importWandbRun } from "amltk/track";
 * const store = await SqliteStore.open("./amltk-runs");
 * const res = await importWandbRun("wandb/offline-run-20240101_000000-abc/run-abc.wandb", store);
 * console.log(res.runId, res.status, res.steps, res.droppedRows, res.error?.message);
 * await store.close();
 * ```
 */
export async function importWandbRun(
  file: string | readonly string[],
  store: Store,
  opts: WandbImportOptions = {},
): Promise<WandbImportResult> {
  const parts = await inStartOrder(typeof file === "string" ? [file] : file);
  const files = parts.map((p) => p.file);
  const runId = (await peekRunInfo(files[0]!)).id || idFromFile(files[0]!);
  let status: WandbImportResult["status"] = "imported";
  const stored = await store.getRun(runId);
  if (stored && opts.force) {
    await store.deleteRun(runId);
    status = "replaced";
  } else if (stored) {
    return store.transaction ? mergeLaterParts(store, stored, parts, opts) : skipped(files, runId);
  }
  const read = await writeRun(store, async (w) => {
    const got = await readParts(new RunImport(w, runId), files);
    if (isTransaction(w)) await markPartsImported(w, runId, parts);
    return got;
  });
  const filesCopied = opts.filesDir ? await copyRunFiles(files, join(opts.filesDir, runId)) : 0;
  return {
    file: files[0]!,
    files,
    runId,
    status,
    ...read.counts,
    state: read.state,
    filesCopied,
    error: read.error,
  };
}

/**
 * Imports the parts of a run already stored that are not in it yet (a resumed run imported one
 * folder per command): they continue the stored run in one transaction. Parts already imported
 * are left out; when none is left the result is `skipped`.
 */
async function mergeLaterParts(
  store: Store,
  stored: RunRecord,
  parts: readonly RunPart[],
  opts: WandbImportOptions,
): Promise<WandbImportResult> {
  const runId = stored.id;
  const last =
    stored.nextStep > 0
      ? (await store.readHistory(runId, { minStep: stored.nextStep - 1, limit: 1 }))[0]
      : undefined;
  const merged = await store.transaction!(async (tx) => {
    const lastRowMs = last ? last.timestamp * 1000 : undefined;
    const fresh = await partsToMerge(tx, stored, parts, lastRowMs);
    if (fresh.length === 0) return undefined;
    const run = new RunImport(tx, runId);
    run.resumeFrom(stored, last);
    const read = await readParts(
      run,
      fresh.map((p) => p.file),
    );
    await markPartsImported(tx, runId, fresh);
    return { read, files: fresh.map((p) => p.file) };
  });
  if (!merged)
    return skipped(
      parts.map((p) => p.file),
      runId,
    );
  const { read, files } = merged;
  const filesCopied = opts.filesDir ? await copyRunFiles(files, join(opts.filesDir, runId)) : 0;
  return {
    file: files[0]!,
    files,
    runId,
    status: "merged",
    ...read.counts,
    state: read.state,
    filesCopied,
    error: read.error,
  };
}

interface PartsRead {
  counts: ImportCounts;
  state: RunState;
  error?: WandbLogError;
}

/**
 * Reads every part into one run; stops at the first damage (keeping what came before it).
 * Throws the damage itself when nothing of the run came before it.
 */
async function readParts(run: RunImport, files: readonly string[]): Promise<PartsRead> {
  let error: WandbLogError | undefined;
  for (const f of files) {
    run.startPart();
    try {
      for await (const rec of readWandbLog(f)) await run.apply(rec);
    } catch (e) {
      if (!(e instanceof WandbLogError) || !run.started) throw e;
      error = e;
      break;
    }
  }
  const state = await run.close();
  return { counts: run.counts, state, error };
}

function isTransaction(w: ImportWriter): w is StoreTransaction {
  return "setIngestSeq" in w;
}

/**
 * Runs `fn` as one transaction where the store has them; otherwise removes the run again when
 * `fn` fails, so that no half-written stub is left to make the next import skip it.
 */
async function writeRun<T>(store: Store, fn: (w: ImportWriter) => Promise<T>): Promise<T> {
  if (store.transaction) return store.transaction((tx) => fn(tx));
  let runId: string | undefined;
  const tracking: ImportWriter = {
    createRun: async (r) => {
      await store.createRun(r);
      runId = r.id;
    },
    updateRun: (id, p) => store.updateRun(id, p),
    appendHistory: (id, rows) => store.appendHistory(id, rows),
    appendSystem: (id, s) => store.appendSystem(id, s),
    appendConsole: (id, l) => store.appendConsole(id, l),
  };
  try {
    return await fn(tracking);
  } catch (e) {
    if (runId !== undefined) await store.deleteRun(runId).catch(() => undefined);
    throw e;
  }
}

/** What the first run record of a log says (empty when the log has none). */
async function peekRunInfo(file: string): Promise<{ id: string; startTime?: number }> {
  try {
    for await (const rec of readWandbLog(file)) {
      if (rec.kind === "run") return { id: rec.run.id, startTime: rec.run.startTime };
      if (rec.kind === "history") break;
    }
  } catch (e) {
    // A log damaged in its first records: the import proper reports it (or throws, for no run).
    if (!(e instanceof WandbLogError) || e.code === "bad_header") throw e;
  }
  return { id: "" };
}

/** The parts of a resumed run, earliest start first (the folder name's time when no record says). */
async function inStartOrder(files: readonly string[]): Promise<RunPart[]> {
  const keyed = await Promise.all(
    files.map(async (file) => ({
      file,
      start: (await peekRunInfo(file)).startTime ?? folderTime(file),
    })),
  );
  return keyed.sort((a, b) => a.start - b.start || a.file.localeCompare(b.file));
}

/** Epoch ms from `offline-run-YYYYMMDD_HHMMSS-<id>`, or +Infinity. */
function folderTime(file: string): number {
  const m = /-(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})-/.exec(basename(dirname(file)));
  if (!m) return Number.POSITIVE_INFINITY;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d, h, mi, s);
}

/** Copies each part's `files/` folder (later parts over earlier ones); returns the file count. */
async function copyRunFiles(files: readonly string[], to: string): Promise<number> {
  let copied = 0;
  for (const f of files) {
    const from = join(dirname(f), "files");
    if (!(await stat(from).catch(() => undefined))?.isDirectory()) continue;
    await cp(from, to, {
      recursive: true,
      force: true,
      filter: async (src) => {
        if ((await stat(src)).isFile()) copied++;
        return true;
      },
    });
  }
  return copied;
}

function skipped(files: string[], runId: string): WandbImportResult {
  return {
    file: files[0]!,
    files,
    runId,
    status: "skipped",
    steps: 0,
    droppedSteps: 0,
    droppedRows: 0,
    systemSamples: 0,
    consoleLines: 0,
    state: null,
    filesCopied: 0,
  };
}
