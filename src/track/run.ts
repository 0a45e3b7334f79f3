import type { HistoryRow, RunRecord, Store, StoredValue } from "../store/types.js";
import { makeConfig, type RunConfig } from "./config.js";
import { TrackError } from "./errors.js";
import { type MetricOptions, SummaryState } from "./summary.js";
import { flattenLog } from "./values.js";

/** Optional sync variants a store may offer for `process.on("exit")`. */
interface SyncStore extends Store {
  appendHistorySync?(runId: string, rows: readonly HistoryRow[]): void;
  updateRunSync?(id: string, patch: Parameters<Store["updateRun"]>[1]): void;
}

export interface LogOptions {
  /** Explicit step: larger flushes the pending row and jumps; equal merges; smaller is dropped with a warning. */
  step?: number;
  /** `false` merges into the pending row without committing it. */
  commit?: boolean;
}

export interface RunInternals {
  record: RunRecord;
  store: Store | null;
  dir: string;
  ownsStore: boolean;
  systemInterval: number;
  heartbeatInterval?: number;
  flushInterval?: number;
  maxBufferedRows?: number;
}

const live = new Set<Run>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", (code) => {
    for (const r of live) r._flushSyncOnExit(code);
  });
}

/** A tracked run (W&B `Run`). Create with `init`. */
export class Run {
  readonly id: string;
  readonly project: string;
  readonly dir: string;
  readonly disabled: boolean;
  readonly summary: Record<string, StoredValue>;
  readonly config: RunConfig;
  name: string;
  private _step: number;
  private pending: Record<string, StoredValue> | null = null;
  private buffer: HistoryRow[] = [];
  private flushing: Promise<void> | null = null;
  private _flushedStep = -1;
  private readonly store: SyncStore | null;
  private readonly sum = new SummaryState();
  private readonly startMs: number;
  private readonly startPerf: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly maxRows: number;
  private readonly ownsStore: boolean;
  private configDirty = false;
  private finishing: Promise<void> | null = null;
  private warnedError = false;
  private lastCpu = process.cpuUsage();
  private lastCpuAt = performance.now();

  constructor(o: RunInternals) {
    const rec = o.record;
    this.id = rec.id;
    this.project = rec.project;
    this.name = rec.name;
    this.dir = o.dir;
    this.store = o.store as SyncStore | null;
    this.disabled = o.store === null;
    this.ownsStore = o.ownsStore;
    this._step = rec.nextStep;
    this.maxRows = o.maxBufferedRows ?? 100_000;
    this.startMs = rec.createdAt;
    this.startPerf = performance.now() - (Date.now() - rec.createdAt);
    Object.assign(this.sum.values, rec.summary);
    this.summary = this.sum.proxy();
    const cfg = makeConfig(rec.config, () => {
      this.configDirty = true;
    });
    this.config = cfg.config;
    if (this.disabled) return;
    const t = (ms: number, f: () => void) => {
      const h = setInterval(f, ms);
      h.unref();
      this.timers.push(h);
    };
    t(o.flushInterval ?? 100, () => {
      if (this.buffer.length > 0 || this.sum.dirty || this.configDirty) void this.flush();
    });
    t(o.heartbeatInterval ?? 5_000, () => {
      void this.store!.updateRun(this.id, { heartbeatAt: Date.now() }).catch((e) => this.warn(e));
    });
    if (o.systemInterval > 0) t(o.systemInterval, () => this.sampleSystem());
    live.add(this);
    hookExit();
  }

  /** The step the next committed row gets. */
  get step(): number {
    return this._step;
  }

  /** The highest step the store has confirmed written (-1 before the first write). */
  get flushedStep(): number {
    return this._flushedStep;
  }

  get finished(): boolean {
    return this.finishing !== null;
  }

  /**
   * Logs a row (W&B rules). Nested objects flatten to `a/b` keys. Throws `TrackError` for bad
   * keys or values (the run keeps working).
   */
  log(data: Record<string, unknown>, opts?: LogOptions): void {
    if (this.finishing) throw new TrackError(`run ${this.id} is finished; log() ignored`);
    const values = this.disabled ? null : flattenLog(data);
    const step = opts?.step;
    let commit = opts?.commit;
    if (step !== undefined) {
      if (!Number.isInteger(step) || step < 0) {
        throw new TrackError(`log: step must be a non-negative integer, got ${step}`);
      }
      if (step < this._step) {
        console.warn(
          `amltk: log step ${step} is less than the current step ${this._step}; data dropped`,
        );
        return;
      }
      if (step > this._step) {
        if (this.pending) this.commitPending();
        this._step = step;
      }
      if (commit === undefined) commit = false;
    } else if (commit === undefined) commit = true;
    if (values !== null) {
      if (this.pending === null) this.pending = values;
      else Object.assign(this.pending, values);
    } else if (this.pending === null) this.pending = {};
    if (commit) this.commitPending();
  }

  private commitPending(): void {
    const values = this.pending;
    this.pending = null;
    const step = this._step++;
    if (values === null || this.disabled) return;
    this.buffer.push({
      step,
      runtime: (performance.now() - this.startPerf) / 1000,
      timestamp: Date.now() / 1000,
      values,
    });
    this.sum.observe(values);
    if (this.buffer.length >= this.maxRows) this.backpressure();
  }

  private backpressure(): void {
    const s = this.store!;
    if (this.flushing === null) {
      void this.flush();
      return;
    }
    if (s.appendHistorySync) {
      const rows = this.buffer;
      this.buffer = [];
      s.appendHistorySync(this.id, rows);
    }
    // Without a sync write the buffer keeps growing until the in-flight flush ends.
  }

  /** W&B `define_metric`: summary aggregates for a key, e.g. `{ summary: "min,max" }`. */
  defineMetric(name: string, opts?: MetricOptions): void {
    this.sum.define(name, opts);
  }

  /** Writes buffered rows (and changed summary/config) to the store now. */
  flush(): Promise<void> {
    if (this.disabled) return Promise.resolve();
    if (this.flushing) return this.flushing.then(() => this.flush());
    const rows = this.buffer;
    this.buffer = [];
    const patch: Parameters<Store["updateRun"]>[1] = {};
    if (this.sum.dirty) {
      this.sum.dirty = false;
      patch.summary = { ...this.sum.values };
    }
    if (this.configDirty) {
      this.configDirty = false;
      patch.config = { ...(this.config as unknown as Record<string, unknown>) };
    }
    const s = this.store!;
    const p = (async () => {
      if (rows.length > 0) {
        await s.appendHistory(this.id, rows);
        this._flushedStep = rows[rows.length - 1].step;
      }
      if (patch.summary || patch.config) await s.updateRun(this.id, patch);
    })()
      .catch((e) => this.warn(e))
      .finally(() => {
        this.flushing = null;
      });
    this.flushing = p;
    return p;
  }

  /** Flushes, writes the summary and marks the run finished (0) or failed. Idempotent. */
  finish(exitCode = 0): Promise<void> {
    if (this.finishing) return this.finishing;
    if (this.pending) this.commitPending();
    for (const h of this.timers) clearInterval(h);
    live.delete(this);
    this.finishing = (async () => {
      if (this.disabled) return;
      const s = this.store!;
      await this.flush();
      const now = Date.now();
      await s.updateRun(this.id, {
        summary: { ...this.sum.values },
        config: { ...(this.config as unknown as Record<string, unknown>) },
        state: exitCode === 0 ? "finished" : "failed",
        exitCode,
        finishedAt: now,
        heartbeatAt: now,
      });
      if (this.ownsStore) await s.close();
    })();
    onFinish(this);
    return this.finishing;
  }

  /**
   * @internal exit handler: writes what is left with the store's sync methods, if any, and,
   * like W&B's atexit hook, finishes the run with the process exit code.
   */
  _flushSyncOnExit(code: number): void {
    const s = this.store;
    if (!s) return;
    if (this.pending) this.commitPending();
    try {
      if (s.appendHistorySync && this.buffer.length > 0) {
        s.appendHistorySync(this.id, this.buffer);
        this.buffer = [];
      }
      const now = Date.now();
      s.updateRunSync?.(this.id, {
        summary: { ...this.sum.values },
        config: { ...(this.config as unknown as Record<string, unknown>) },
        state: code === 0 ? "finished" : "failed",
        exitCode: code,
        finishedAt: now,
        heartbeatAt: now,
      });
    } catch {
      // the process is exiting; nothing left to do
    }
  }

  private sampleSystem(): void {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const wall = (now - this.lastCpuAt) * 1000;
    this.lastCpu = process.cpuUsage();
    this.lastCpuAt = now;
    const values = {
      "system/cpu": wall > 0 ? (100 * (cpu.user + cpu.system)) / wall : 0,
      "system/rss_mib": process.memoryUsage.rss() / 1048576,
    };
    void this.store!.appendSystem(this.id, [{ timestamp: Date.now() / 1000, values }]).catch((e) =>
      this.warn(e),
    );
  }

  private warn(e: unknown): void {
    if (this.warnedError) return;
    this.warnedError = true;
    console.warn(`amltk: run ${this.id}: store write failed: ${(e as Error)?.message ?? e}`);
  }

  /** Epoch ms when the run started. */
  get startedAt(): number {
    return this.startMs;
  }
}

let finishHook: (r: Run) => void = () => {};
function onFinish(r: Run): void {
  finishHook(r);
}
/** @internal used by `init` to forget the current run. */
export function setFinishHook(f: (r: Run) => void): void {
  finishHook = f;
}
