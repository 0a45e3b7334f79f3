import { cp, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { withPrunedTag } from "../protocol/wandb/run-state.js";
import { AmltkError, type AmltkErrorOptions } from "../shared/errors.js";
import { VERSION } from "../shared/version.js";
import type { HistoryRow, RunRecord, Store, SystemSample } from "../store/types.js";
import { WandbLogWriter } from "./leveldb-writer.js";
import { RecordEncoder } from "./wandb-record-writer.js";

/**
 * Options of `exportWandbRun`.
 *
 * @example
 * ```ts
 * const options: WandbExportOptions = { out: "./wandb", filesDir: "./amltk-runs/files" };
 * await exportWandbRun(store, "abc123", options);
 * ```
 */
export interface WandbExportOptions {
  /** The folder the run folder goes in (a `wandb/` folder: `wandb sync` takes either). */
  out: string;
  /** Where run files live as `<filesDir>/<run-id>/`; they are copied into the run's `files/`. */
  filesDir?: string;
  /** History rows read per store call (default 4,096, one stored chunk): bounds memory on long runs. */
  pageSize?: number;
}

/**
 * What `exportWandbRun` wrote.
 *
 * @example
 * ```ts
 * const res: WandbExportResult = await exportWandbRun(store, "abc123", { out: "./wandb" });
 * console.log(res.file, res.steps, res.systemSamples, res.consoleLines, res.files);
 * ```
 */
export interface WandbExportResult {
  runId: string;
  /** The run folder, `<out>/offline-run-<YYYYMMDD_HHMMSS>-<id>` (UTC start time). */
  dir: string;
  /** Its `.wandb` log. */
  file: string;
  steps: number;
  systemSamples: number;
  consoleLines: number;
  /** Files copied into the run folder's `files/`. */
  files: number;
}

/**
 * Thrown by `exportWandbRun` for a run id the store does not hold. Code `no_such_run`.
 *
 * @example
 * ```ts
 * try {
 *   await exportWandbRun(store, "nope", { out: "./wandb" });
 * } catch (e) {
 *   if (e instanceof WandbExportError) console.error(e.code, e.message);
 * }
 * ```
 */
export class WandbExportError extends AmltkError<"no_such_run"> {
  override name = "WandbExportError";
  constructor(message: string, options?: AmltkErrorOptions) {
    super("no_such_run", message, options);
  }
}

const CONSOLE_PAGE = 10_000;
/** Buckets of the system-metric read: sample times are kept to 1/100,000 of the run's span. */
const SYSTEM_BUCKETS = 100_000;

/**
 * Writes one run of `store` as a W&B offline run folder that `wandb sync` uploads:
 * `offline-run-<time>-<id>/run-<id>.wandb` (W&B's LevelDB-framed transaction log: run record with
 * config, name, group, job type, tags and notes; history with `_step`, `_runtime` and
 * `_timestamp`; system metrics; console output; files; summary; exit code for a finished or
 * failed run) and `files/` (the run's files from `filesDir`). History is read and written page
 * by page, so memory stays bounded on long runs. The log is written under a temporary name and
 * renamed when complete, so a folder never holds half a log; exporting again replaces it.
 *
 * @example
 * ```ts
 * import { exportWandbRun } from "amltk/track";
 * const res = await exportWandbRun(store, "abc123", { out: "./wandb" });
 * // then: wandb sync ./wandb/offline-run-20240101_000000-abc123
 * console.log(res.dir, res.steps);
 * ```
 */
export async function exportWandbRun(
  store: Store,
  runId: string,
  opts: WandbExportOptions,
): Promise<WandbExportResult> {
  const run = await store.getRun(runId);
  if (!run) throw new WandbExportError(`no run with id "${runId}" in this store`);
  const dir = join(opts.out, `offline-run-${folderTime(run.createdAt)}-${run.id}`);
  await mkdir(join(dir, "files"), { recursive: true });
  const files = opts.filesDir ? await copyRunFiles(join(opts.filesDir, run.id), dir) : [];
  const file = join(dir, `run-${run.id}.wandb`);
  const partial = `${file}.partial`;
  const log = new WandbLogWriter(partial);
  try {
    const counts = await writeRun(store, run, files, log, opts.pageSize ?? 4096);
    log.close();
    await rename(partial, file);
    return { runId: run.id, dir, file, ...counts, files: files.length };
  } catch (e) {
    log.abort();
    await rm(partial, { force: true });
    throw e;
  }
}

/** Every record of the run, in the order wandb writes them (history before the summary and exit). */
async function writeRun(
  store: Store,
  run: RunRecord,
  files: readonly string[],
  log: WandbLogWriter,
  pageSize: number,
): Promise<{ steps: number; systemSamples: number; consoleLines: number }> {
  const enc = new RecordEncoder(`amltk ${VERSION}`);
  log.append(enc.header());
  // W&B has no pruned state: a pruned run leaves finished (exit 0) and tagged "pruned".
  log.append(enc.run(run.state === "pruned" ? { ...run, tags: withPrunedTag(run.tags) } : run));
  let steps = 0;
  for await (const rows of historyPages(store, run, pageSize)) {
    for (const row of rows) log.append(enc.history(row));
    steps += rows.length;
  }
  const samples = await systemSamples(store, run);
  for (const s of samples) log.append(enc.stats(s));
  let consoleLines = 0;
  for (;;) {
    const lines = await store.readConsole(run.id, { offset: consoleLines, limit: CONSOLE_PAGE });
    for (const line of lines) log.append(enc.output(line));
    consoleLines += lines.length;
    if (lines.length < CONSOLE_PAGE) break;
  }
  if (files.length > 0) log.append(enc.files(files));
  log.append(enc.summary(run.summary));
  const exitCode = exitCodeOf(run);
  if (exitCode !== undefined) {
    const endMs = run.finishedAt ?? run.heartbeatAt;
    log.append(enc.exit(exitCode, (endMs - run.createdAt) / 1000));
  }
  return { steps, systemSamples: samples.length, consoleLines };
}

/**
 * The run's history, page by page, each page a step window of at most `pageSize` rows. A read
 * bounded by `maxStep` as well as `limit` costs only its window (an open-ended read materializes
 * every later step before taking `limit`); a window that comes back sparse doubles.
 */
async function* historyPages(
  store: Store,
  run: RunRecord,
  pageSize: number,
): AsyncGenerator<HistoryRow[]> {
  const keys = await store.historyKeys(run.id);
  const last = Math.max(run.nextStep - 1, ...keys.map((k) => k.maxStep));
  let lo = 0;
  let width = pageSize;
  while (lo <= last) {
    const maxStep = Math.min(lo + width - 1, Number.MAX_SAFE_INTEGER);
    const rows = await store.readHistory(run.id, { minStep: lo, maxStep, limit: pageSize });
    if (rows.length > 0) yield rows;
    if (rows.length === pageSize) {
      lo = rows[rows.length - 1]!.step + 1;
      width = pageSize;
    } else {
      lo = maxStep + 1;
      if (rows.length < pageSize / 4) width *= 2;
    }
  }
}

/**
 * The exit code W&B should record: a finished or pruned run's (0 unless one was set), a failed run's (1
 * unless one was set). A crashed or running run gets no exit record, so W&B shows it as it is
 * here: not ended cleanly.
 */
function exitCodeOf(run: RunRecord): number | undefined {
  if (run.state === "finished" || run.state === "pruned") return run.exitCode ?? 0;
  if (run.state === "failed") return run.exitCode ?? 1;
  return undefined;
}

/**
 * The run's system samples, all keys of one sample time together. The store reads system
 * metrics bucketed over time only; with 100,000 buckets over the run's span, each bucket holds
 * one sample and its left edge is the sample's time to within span / 100,000.
 */
async function systemSamples(store: Store, run: RunRecord): Promise<SystemSample[]> {
  const keys = store.systemKeys ? await store.systemKeys(run.id) : [];
  if (keys.length === 0) return [];
  const span = await systemSpan(store, run.id, keys);
  if (!span) return [];
  const [minX, maxX] = span;
  const series = await store.readSeries({
    runIds: [run.id],
    keys,
    x: "time",
    buckets: SYSTEM_BUCKETS,
    source: "system",
    minX,
    maxX,
  });
  const byTime = new Map<number, Record<string, number>>();
  for (const s of series) {
    for (const b of s.buckets) {
      const values = byTime.get(b.x) ?? {};
      values[s.key] = b.last;
      byTime.set(b.x, values);
    }
  }
  return [...byTime.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([timestamp, values]) => ({ timestamp, values }));
}

/**
 * The first and last sample time over `keys`. The read has two buckets: the first starts at a
 * key's first sample, and the second (holding its last sample) starts halfway to it.
 */
async function systemSpan(
  store: Store,
  runId: string,
  keys: readonly string[],
): Promise<[number, number] | undefined> {
  const series = await store.readSeries({
    runIds: [runId],
    keys,
    x: "time",
    buckets: 2,
    source: "system",
  });
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const {
    buckets: [first, second],
  } of series) {
    if (!first) continue;
    lo = Math.min(lo, first.x);
    hi = Math.max(hi, second ? 2 * second.x - first.x : first.x);
  }
  return lo <= hi ? [lo, hi + 1e-6] : undefined;
}

/** Copies `<filesDir>/<id>/` into the run folder's `files/`; returns the paths under `files/`. */
async function copyRunFiles(from: string, runDir: string): Promise<string[]> {
  if (!(await stat(from).catch(() => undefined))?.isDirectory()) return [];
  const to = join(runDir, "files");
  await cp(from, to, { recursive: true, force: true });
  const entries = await readdir(to, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(to, join(e.parentPath, e.name)))
    .sort();
}

/** `YYYYMMDD_HHMMSS` (UTC) of epoch ms, as in wandb's run folder names. */
function folderTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10).replaceAll("-", "")}_${iso.slice(11, 19).replaceAll(":", "")}`;
}
