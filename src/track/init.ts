import { statSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { decodeJson, encodeJson } from "../shared/json-numbers.js";
import { checkOptionKeys } from "../shared/options.js";
import { checkRunInit } from "../store/run-checks.js";
import { rememberCheckedRun } from "../store/run-insert.js";
import { newRunRecord, processStartToken } from "../store/run-record.js";
import type { RunInit, RunRecord, Store } from "../store/types.js";
import type { ConsoleCapture } from "./console-capture.js";
import { TrackError } from "./errors.js";
import { atExitAfterRuns } from "./exit-hooks.js";
import {
  defaultStoreDir,
  INIT_DEFAULTS,
  INIT_OPTION_KEYS,
  type InitOptions,
  type Mode,
  onlineProtocol,
} from "./init-options.js";
import { Run, setFinishHook } from "./run.js";
import { checkRunId, randomId } from "./run-id.js";
import type { SyncStore } from "./run-types.js";

export type { InitOptions, Mode, Reinit } from "./init-options.js";

let current: Run | null = null;
setFinishHook((r) => {
  if (current === r) current = null;
});

/** A default store, open for the life of the process (see `openStores`). */
interface OpenStore {
  store: Promise<Store>;
  /** The database file, `<dir>/amltk.db`. */
  file: string;
  /** Its inode once open: a deleted or replaced file means the connection is stale. */
  ino: number | undefined;
  /** The store once open: a run then takes it without an await (a run per trial). */
  ready: Store | null;
}

/**
 * Default stores stay open for the life of the process, one per folder, so a process that runs
 * many short runs (a trial per run) pays for opening SQLite once; they are closed at exit after
 * the last run has flushed. A folder whose database was deleted meanwhile is opened afresh.
 */
const openStores = new Map<string, OpenStore>();

/** The database file's inode (one stat), or undefined when there is no such file. */
function inodeOf(file: string): number | undefined {
  return statSync(file, { throwIfNoEntry: false })?.ino;
}

/** The last folder `init` was given, with the working directory then and its absolute path. */
let lastDir = { dir: "", cwd: "", abs: "" };

/**
 * `resolve(dir)`, kept for the next call with the same folder and working directory: a process
 * that runs a trial per run asks for the same folder every time.
 */
function absoluteDir(dir: string): string {
  // An absolute folder does not depend on the working directory (which may even be gone).
  const cwd = isAbsolute(dir) ? "" : process.cwd();
  if (dir !== lastDir.dir || cwd !== lastDir.cwd) lastDir = { dir, cwd, abs: resolve(dir) };
  return lastDir.abs;
}

/** The folder's default store: the store itself once it is open, else the promise of it. */
function openDefaultStore(dir: string): Store | Promise<Store> {
  const key = absoluteDir(dir);
  const cached = openStores.get(key);
  // One stat per run, kept on purpose: a database deleted or replaced since the last run must
  // not take this run's writes into a file no reader will ever see.
  if (cached) {
    const ino = inodeOf(cached.file);
    if (ino !== undefined && (cached.ino === undefined || cached.ino === ino)) {
      return cached.ready ?? cached.store;
    }
  }
  const entry: OpenStore = {
    store: loadSqlite().then((mod) => mod.openTrackerStore(key)),
    file: join(key, "amltk.db"),
    ino: undefined,
    ready: null,
  };
  openStores.set(key, entry);
  entry.store.then(
    (store) => {
      entry.ino = inodeOf(entry.file);
      entry.ready = store;
      atExitAfterRuns(() => {
        if (openStores.get(key) === entry) openStores.delete(key);
        (store as Store & { closeSync?(): void }).closeSync?.();
      });
    },
    () => openStores.delete(key),
  );
  return entry.store;
}

type SqliteModule = { openTrackerStore(dir: string): Promise<Store> };

async function loadSqlite(): Promise<SqliteModule> {
  // Imported on first use only: `amltk/track` in "disabled" mode or with an injected store
  // never loads better-sqlite3 (and the cold start of the others pays for it once).
  const spec = "../store/sqlite/index.js";
  let mod: Partial<SqliteModule>;
  try {
    mod = await import(spec);
  } catch (e) {
    throw new TrackError(
      `init: no default store available (src/store/sqlite could not be loaded: ${(e as Error).message}); pass { store } or mode "disabled"`,
      { cause: e },
    );
  }
  if (typeof mod.openTrackerStore !== "function") {
    throw new TrackError("init: src/store/sqlite does not export openTrackerStore");
  }
  return mod as SqliteModule;
}

/** The store of an online run, in the protocol its server speaks (loaded on demand: offline runs, the cold-start path, never pay for it). */
async function openOnline(opts: InitOptions, dir: string, project: string): Promise<Store> {
  if (onlineProtocol(opts) === "wandb") {
    return (await import("./wandb-online/index.js")).openWandbOnlineStore({
      dir,
      project,
      entity: opts.entity,
      baseUrl: opts.baseUrl,
      apiKey: opts.apiKey,
      finishTimeoutMs: opts.finishTimeoutMs,
    });
  }
  return (await import("./online/index.js")).openOnlineStore({
    dir,
    baseUrl: opts.baseUrl,
    apiKey: opts.apiKey,
    finishTimeoutMs: opts.finishTimeoutMs,
    resume: opts.resume,
  });
}

let ownStart: string | null | undefined;

/**
 * `{ ownerStart }` naming this process beyond its pid (owner.ts), for offline runs: a later
 * reader then sees a crashed run as crashed even when its pid was reused. Online runs send
 * none: the server's API does not take it (a pid alone is judged as before).
 */
function ownerToken(mode: Mode): { ownerStart?: string | null } {
  if (mode !== "offline") return {};
  ownStart ??= processStartToken(process.pid);
  return { ownerStart: ownStart };
}

/**
 * The new row's fields: the run's starting fields (a new object per run, so they are set on it
 * rather than spread into a copy), its host, and in offline mode its owner token.
 */
function withOwner(init: RunInit, mode: Mode): RunInit {
  init.host = hostName();
  if (mode === "offline") {
    ownStart ??= processStartToken(process.pid);
    init.ownerStart = ownStart;
  }
  return init;
}

let ownHost: string | undefined;

/**
 * This machine's name, read once per process (a system call per run otherwise). A host renamed
 * while the process runs keeps its old name on this process's later runs, as W&B records the
 * host once per run; owner checks then fall back to the run's heartbeat.
 */
function hostName(): string {
  ownHost ??= hostname();
  return ownHost;
}

/** When `init` last reaped each store (see `reapDeadOwners`). */
const reapedAt = new WeakMap<Store, number>();

/**
 * `init` marks the store's runs whose owner process on this host is gone as crashed, so a
 * killed run does not wait for a reader (the CLI, the dashboard) to be seen. At most once a
 * second per store: it costs a /proc read per running run, and a process that runs a trial per
 * run calls `init` many times a second. Best-effort: a store that cannot be written (read-only,
 * full) must not keep a run from starting, and the run's own writes will report that.
 */
function reapDeadOwners(store: Store): Promise<void> | undefined {
  const now = Date.now();
  // Checked before any promise is made: nearly every call returns here.
  if (now - (reapedAt.get(store) ?? 0) < 1_000) return undefined;
  reapedAt.set(store, now);
  return reapNow(store);
}

async function reapNow(store: Store): Promise<void> {
  try {
    await store.reapCrashed(Number.POSITIVE_INFINITY);
  } catch {
    // best-effort, see above
  }
}

/**
 * Starts (or resumes) a run, W&B-style, and returns it. Offline runs write to
 * `<dir>/amltk.db` (default `./amltk-runs`, or `AMLTK_DIR`); many processes may share it.
 * Throws `TrackError` for bad options (unknown mode, bad id, resume rules).
 *
 * @example
 * ```ts
 * import { init } from "amltk/track";
 *
 * const run = await init({ project: "demo", config: { lr: 0.1 } });
 * for (let epoch = 0; epoch < 3; epoch++) run.log({ loss: 1 / (epoch + 1) });
 * await run.finish();
 *
 * // Later, continue the same run's steps:
 * const again = await init({ project: "demo", id: run.id, resume: "must" });
 * ```
 */
export async function init(opts: InitOptions = {}): Promise<Run> {
  return startRun(opts, false);
}

/**
 * @internal `init` for the W&B plugin's per-trial runs. A new offline run with a generated id
 * is not committed here: its row is stored by the run's first write, in the same commit (the
 * first flush, ~100 ms after init while anything is pending, which the unstored row always is;
 * `finish`; or the exit path of a signal). A trial-sized run then commits once instead of
 * twice, and two workers writing one store collide half as often. The window this opens: a
 * process SIGKILLed within that first flush interval leaves no row at all (its points were never
 * durable in that window either); the plugin's host side, which chose the run's `id`, then
 * records the trial's run as crashed (`wandb/dead-worker-runs.ts`). A given `id` must be new
 * (a clash shows at the first write, not here). Any other run (resume, online, an injected
 * store) is created at init as with `init`.
 *
 * @example
 * ```ts
 * const run = await initTrialRun({ project: "p", name: trial.name, config: trial.config });
 * run.log({ loss: 0.5 });
 * await run.finish(); // one commit: the row, the history and the closing state
 * ```
 */
export async function initTrialRun(opts: InitOptions = {}): Promise<Run> {
  return startRun(opts, true);
}

/*
 * `startRun` runs once per trial in every worker of a sweep, so it keeps to the common path
 * (a new offline run): option checks, resume, the row's creation and their error paths are
 * named steps of their own. A function's size sets how soon V8 optimizes it and how much it
 * compiles then, and the rare branches are then neither interpreted nor compiled per worker.
 */
async function startRun(opts: InitOptions, rowAtFirstWrite: boolean): Promise<Run> {
  const mode = checkStartOptions(opts);
  if (current && !current.finished) {
    const reinit = opts.reinit ?? INIT_DEFAULTS.reinit;
    if (reinit === "default" || reinit === "return_previous" || reinit === false) return current;
    if (reinit === "finish_previous" || reinit === true) await current.finish();
  }
  const id = opts.id ?? randomId();
  checkRunId(id);
  const dir = opts.dir ?? defaultStoreDir();
  const project = opts.project ?? process.env.AMLTK_PROJECT ?? INIT_DEFAULTS.project;
  // What the run starts as, in every mode; the store adds the host (disabled runs have none).
  const init = runInit(opts, id, project);
  if (mode === "disabled") {
    const record = newRunRecord(init);
    current = new Run({ record, store: null, dir, ownsStore: false, systemInterval: 0 });
    return current;
  }
  // Default stores are shared per folder and closed at exit; an online run closes its own.
  const ownsStore = mode === "online" && opts.store === undefined;
  const opened =
    opts.store ?? (mode === "online" ? openOnline(opts, dir, project) : openDefaultStore(dir));
  // No await for a store that is open already: a run per trial would wait a turn for nothing.
  const store = opened instanceof Promise ? await opened : opened;
  const resume = opts.resume === true ? "allow" : opts.resume === false ? undefined : opts.resume;
  let record =
    resume === undefined ? undefined : await resumedRecord(store, opts, id, resume, mode, init);
  if (mode === "offline") {
    const reaping = reapDeadOwners(store);
    if (reaping) await reaping;
  }
  let create: RunInit | undefined;
  if (!record) {
    const row = withOwner(init, mode);
    const atFirstWrite =
      rowAtFirstWrite &&
      mode === "offline" &&
      opts.store === undefined &&
      resume === undefined &&
      (store as SyncStore).writeRunSync !== undefined;
    try {
      if (atFirstWrite) {
        record = pendingRecord(row);
        create = row;
      } else record = await store.createRun(row);
    } catch (e) {
      throw await notCreated(e, id, ownsStore ? store : null);
    }
  }
  current = new Run({
    record,
    store,
    dir,
    ownsStore,
    systemInterval: opts.systemInterval ?? INIT_DEFAULTS.systemInterval,
    heartbeatInterval: opts.heartbeatInterval,
    create,
    maxBufferedRows: opts.maxBufferedRows,
    maxBufferedBytes: opts.maxBufferedBytes,
    // Loaded only when asked for, like everything a plain offline run does not need.
    capture: opts.console === "capture" ? await consoleCapture() : undefined,
  });
  return current;
}

/** Checks the option keys, the mode and the console option; returns the mode. */
function checkStartOptions(opts: InitOptions): Mode {
  checkOptionKeys(opts, INIT_OPTION_KEYS, "init");
  const mode = opts.mode ?? INIT_DEFAULTS.mode;
  if (mode !== "offline" && mode !== "disabled" && mode !== "online")
    throw new TrackError(`init: unknown mode "${mode}"`);
  if (opts.console !== undefined && opts.console !== "capture" && opts.console !== "off") {
    throw new TrackError(
      `init: console must be "capture" or "off", got ${JSON.stringify(opts.console)}`,
    );
  }
  return mode;
}

/** The run's starting fields, before the store adds its host. */
function runInit(opts: InitOptions, id: string, project: string): RunInit {
  return {
    id,
    project,
    entity: opts.entity ?? null,
    group: opts.group ?? null,
    jobType: opts.jobType ?? null,
    name: opts.name ?? `run-${id}`,
    notes: opts.notes ?? null,
    tags: opts.tags ?? [],
    config: opts.config ?? {},
    createdAt: Date.now(),
    pid: process.pid,
  };
}

/**
 * The record of a run whose row waits for its first write, checked now as the store would, so
 * bad options still fail at init, not at a later flush. The row is the caller's own object: it
 * becomes the pending row, with the config as the store would give it back (the copy the run's
 * config starts from).
 */
function pendingRecord(row: RunInit): RunRecord {
  checkRunInit(row);
  const configText = encodeJson(row.config ?? {});
  const record = newRunRecord(row, { config: decodeJson(configText) });
  row.config = record.config;
  // The closing write stores this row as it is now: checked, with this config text.
  rememberCheckedRun(row, configText);
  return record;
}

/** The TrackError for a run whose row could not be made; closes the run's own store first. */
async function notCreated(e: unknown, id: string, ownStore: Store | null): Promise<TrackError> {
  if (ownStore) await ownStore.close();
  return new TrackError(`init: could not create run "${id}": ${(e as Error).message}`, {
    cause: e,
  });
}

async function consoleCapture(): Promise<ConsoleCapture> {
  return new (await import("./console-capture.js")).ConsoleCapture();
}

/**
 * A resumed run's record (its row reopened: running again, owned by this process, the given
 * config merged over the stored one), or undefined when `resume` allows a new run and there is
 * none; throws the resume rules' TrackErrors.
 */
async function resumedRecord(
  store: Store,
  opts: InitOptions,
  id: string,
  resume: "allow" | "must" | "never",
  mode: Mode,
  init: RunInit,
): Promise<RunRecord | undefined> {
  if (opts.id === undefined && resume === "must") {
    throw new TrackError('init: resume "must" needs an id');
  }
  const prev = await store.getRun(id);
  if (prev && resume === "never") {
    throw new TrackError(`init: run "${id}" already exists and resume is "never"`);
  }
  if (!prev && resume === "must") {
    throw new TrackError(`init: run "${id}" does not exist and resume is "must"`);
  }
  if (!prev) return undefined;
  const config = { ...prev.config, ...(opts.config ?? {}) };
  const patch = {
    state: "running" as const,
    exitCode: null,
    finishedAt: null,
    heartbeatAt: init.createdAt,
    pid: process.pid,
    host: hostName(),
    ...ownerToken(mode),
    config,
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.notes !== undefined ? { notes: opts.notes } : {}),
    ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
  };
  await store.updateRun(id, patch);
  return { ...prev, ...patch, tags: [...(opts.tags ?? prev.tags)] };
}
