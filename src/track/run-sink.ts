/**
 * A run's writes to its store: flushes (history, changed summary and config, console lines),
 * the closing write of `finish`, and the exit path's synchronous write. One store transaction
 * when the store offers `writeRunSync` (a short run's flush or finish is then one commit),
 * separate writes otherwise.
 */
import type { ConsoleLine, RunInit, RunPatch } from "../store/types.js";
import type { ConsoleCapture } from "./console-capture.js";
import { closeIfFullSync, finishWrite } from "./finish-write.js";
import { HistoryWriter } from "./history-writer.js";
import type { RunClose } from "./run-close.js";
import type { SyncStore } from "./run-types.js";
import type { SummaryState } from "./summary.js";

/** What a sink writes for: the run's id and the state behind its summary and config. */
export interface SinkSources {
  id: string;
  summary: SummaryState;
  /** The config's plain data behind the `run.config` proxy (copied without proxy traps). */
  configData: Record<string, unknown>;
  /** Called as each flush starts (the run re-reads the wall clock for its timestamps). */
  onFlush: () => void;
  capture: ConsoleCapture | null;
  /** The store had no history of this run at init (a new run, or a resumed one without rows). */
  freshRun: boolean;
  maxBytes: number;
  /** The run's row, when `init` left it to the first write (RunInternals.create). */
  create: RunInit | null;
}

/**
 * The write side of a `Run` that has a store.
 *
 * @example
 * ```ts
 * const sink = new RunSink(store, { id, summary, configData, onFlush, capture: null, freshRun: true, maxBytes });
 * await sink.flush();
 * await sink.finish({ state: "finished", exitCode: 0 }, false);
 * ```
 */
export class RunSink {
  readonly history: HistoryWriter;
  /** The flush under way (one at a time). */
  flushing: Promise<void> | null = null;
  /** Config changed since the last write. */
  configDirty = false;
  /**
   * `config.update` was called since init: the store's copy (written by `init`) may be behind,
   * so every state patch carries the config. Without it the final patch leaves config out.
   */
  configChanged = false;
  /** `finish` has written the final state; an exit while it still waits adds nothing. */
  finalWritten = false;
  /**
   * The run's row, until a write stored it. A trial-sized run then commits once (its finish)
   * instead of twice; a longer one stores its row with its first flush (~100 ms after init).
   */
  pendingCreate: RunInit | null;
  private warnedError = false;

  constructor(
    readonly store: SyncStore,
    private readonly src: SinkSources,
  ) {
    this.history = new HistoryWriter(store, src.id, (e) => this.warn(e), src.maxBytes);
    this.pendingCreate = src.create;
  }

  /** Something waits to be written (what the flush timer checks). */
  get pending(): boolean {
    return (
      this.pendingCreate !== null ||
      this.history.pending ||
      this.src.summary.dirty ||
      this.configDirty ||
      !!this.src.capture?.pending
    );
  }

  /** `config.update` was called. */
  configUpdated(): void {
    this.configDirty = true;
    this.configChanged = true;
  }

  /**
   * The buffer is full. Start a flush; if one is already in flight (a synchronous `log` loop
   * never lets it finish), write synchronously so memory stays bounded. A store without sync
   * writes lets the buffer grow until its in-flight flush ends.
   */
  backpressure(): void {
    if (this.flushing === null) {
      void this.flush();
      return;
    }
    // A row still pending is being stored by that flush: the history must wait for it.
    if (this.history.canWriteSync && this.pendingCreate === null) this.history.writeSync();
  }

  /** Writes buffered rows (and changed summary/config, console lines) now. */
  flush(): Promise<void> {
    this.src.onFlush();
    if (this.flushing) return this.flushing.then(() => this.flush());
    const patch: RunPatch = {};
    const summary = this.src.summary;
    if (summary.dirty) {
      summary.dirty = false;
      patch.summary = { ...summary.values };
    }
    if (this.configDirty) {
      this.configDirty = false;
      patch.config = { ...this.src.configData };
    }
    const lines = this.src.capture?.take() ?? [];
    const hasPatch = patch.summary !== undefined || patch.config !== undefined;
    if (this.writeOnce(hasPatch ? patch : undefined, lines)) return Promise.resolve();
    const s = this.store;
    // The rows are taken now; a row still pending is stored first, the history needs it.
    const history =
      this.pendingCreate === null
        ? this.history.write()
        : this.createSeparately().then(() => this.history.write());
    const p = (async () => {
      await history;
      if (patch.summary || patch.config) await s.updateRun(this.src.id, patch);
      if (lines.length > 0) await s.appendConsole(this.src.id, lines);
    })()
      .catch((e) => this.warn(e))
      .finally(() => {
        this.flushing = null;
      });
    this.flushing = p;
    return p;
  }

  /**
   * Writes history, `patch` and console `lines` in one store transaction when the store can
   * (`writeRunSync`); false when it cannot or that write failed, and then nothing was taken
   * except `patch` and `lines`, which the caller writes its separate way.
   */
  private writeOnce(patch: RunPatch | undefined, lines: ConsoleLine[]): boolean {
    const s = this.store;
    if (s.writeRunSync === undefined) return false;
    const create = this.pendingCreate ?? undefined;
    if (!this.history.pending && patch === undefined && lines.length === 0 && !create) return true;
    const fresh = this.src.freshRun && this.history.flushedStep < 0;
    return this.history.writeSyncWith((history) => {
      s.writeRunSync!(this.src.id, { create, history, fresh, patch, console: lines });
      this.pendingCreate = null;
    });
  }

  /**
   * Stores the run's row on its own, when the write that would have carried it failed (busy
   * for long, a full disk): the writes that follow need the row. A failure is reported like
   * any other failed write, and the row stays pending for the next try.
   */
  private async createSeparately(): Promise<void> {
    const create = this.pendingCreate;
    if (create === null) return;
    await this.store.createRun(create);
    this.pendingCreate = null;
  }

  /**
   * `finish`'s write: the remaining history, summary, config and closing state, in one
   * transaction when it can; a full store closes the run as failed and rejects typed
   * (finish-write.ts). Closes the store after when the run owns it.
   */
  async finish(how: RunClose, ownsStore: boolean): Promise<void> {
    const s = this.store;
    if (this.flushing) await this.flushing;
    const lines = this.src.capture?.take() ?? [];
    this.history.retryNow(); // the last chance for held batches, even right after a full disk
    try {
      if (!this.writeOnce(this.finalPatch(how), lines)) await this.finishSeparately(how, lines);
      // The store was full earlier: lost history closes the run as failed (finish-write.ts).
      else if (this.history.sawFull) await finishWrite(s, this.src.id, this.history, null);
      this.finalWritten = true;
    } finally {
      if (ownsStore) await s.close();
    }
  }

  /**
   * `finish`'s write, done at once in the common case: nothing in flight, no store of its own to
   * close, the store never full, and the one-transaction write goes through. Returns undefined
   * then (the run is closed, nothing to await: a run per trial makes no promise for it), and
   * otherwise a promise of the rest, as {@link RunSink.finish} does it.
   */
  finishNow(how: RunClose, ownsStore: boolean): Promise<void> | undefined {
    if (ownsStore || this.flushing !== null || this.history.sawFull) {
      return this.finish(how, ownsStore);
    }
    const lines = this.src.capture?.take() ?? [];
    this.history.retryNow(); // the last chance for held batches, as in `finish`
    if (this.writeOnce(this.finalPatch(how), lines)) {
      this.finalWritten = true;
      // Its arrays go to the next run's buffer (history-buffer.ts): nothing more is written.
      this.history.buffer.release();
      return undefined;
    }
    return this.finishSeparately(how, lines).then(() => {
      this.finalWritten = true;
    });
  }

  /** `finish`'s writes one at a time, when its one-transaction write did not go through. */
  private async finishSeparately(how: RunClose, lines: ConsoleLine[]): Promise<void> {
    const s = this.store;
    await this.createSeparately().catch((e) => this.warn(e));
    if (lines.length > 0) await s.appendConsole(this.src.id, lines).catch((e) => this.warn(e));
    await this.flush();
    await finishWrite(s, this.src.id, this.history, () => this.finalPatch(how));
  }

  /** The closing patch; the summary and config it carries are no longer pending. */
  private finalPatch(how: RunClose): RunPatch {
    this.src.summary.dirty = false;
    this.configDirty = false;
    return this.statePatch(how);
  }

  /**
   * The exit path's write (synchronous): everything the run holds, and when `close`, the run
   * closed as `how` says (otherwise it stays open). Never throws: the process is ending.
   */
  writeOnExit(close: boolean, how: RunClose): void {
    const s = this.store;
    try {
      if (close) this.src.capture?.restore();
      const lines = this.src.capture?.take() ?? [];
      const patch = this.statePatch(close ? how : null);
      this.history.retryNow(); // held batches get their last try even right after a full disk
      if (!this.writeOnce(patch, lines)) {
        if (this.pendingCreate && s.createRunSync) s.createRunSync(this.pendingCreate);
        this.pendingCreate = null;
        if (this.history.canWriteSync) this.history.writeSync();
        if (lines.length > 0) s.appendConsoleSync?.(this.src.id, lines);
        s.updateRunSync?.(this.src.id, patch);
      }
    } catch {
      // the process is ending; nothing left to do
    }
    if (!close) return;
    closeIfFullSync(s, this.src.id, this.history); // a full store: failed (74), loss reported
    try {
      // A store that queues writes (online) puts them on disk now: the process ends next.
      s.persistSync?.();
    } catch {
      // as above
    }
  }

  /**
   * Summary, heartbeat and (when it changed since init) config, plus the closing state and code
   * when `how` is not null. An unchanged config is left out: `init` wrote it, and encoding and
   * checking it again is a good part of a trial-sized run's finish.
   */
  private statePatch(how: RunClose | null): RunPatch {
    const now = Date.now();
    const patch: RunPatch = { summary: { ...this.src.summary.values }, heartbeatAt: now };
    if (this.configChanged) patch.config = { ...this.src.configData };
    if (how === null) return patch;
    patch.state = how.state;
    patch.exitCode = how.exitCode;
    patch.finishedAt = now;
    return patch;
  }

  /** Reports the first failed write of the run (one warning per run). */
  warn(e: unknown): void {
    if (this.warnedError) return;
    this.warnedError = true;
    console.warn(`amltk: run ${this.src.id}: store write failed: ${(e as Error)?.message ?? e}`);
  }
}
