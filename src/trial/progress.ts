/**
 * `Progress`: a one-line live display of a sweep (trials done and failed, best cost so far,
 * rate, ETA). On a TTY it redraws one line in place; otherwise (CI logs, pipes) it writes
 * plain lines, throttled so that a sweep of thousands of trials does not flood the log.
 *
 * @module
 */

import { isPruned } from "./pruning.js";
import type { TrialStatus } from "./report.js";

/** Where the display writes: `process.stderr` by default (stdout stays for results). */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** Set by Node on terminal streams; decides between redrawing and plain lines. */
  isTTY?: boolean;
  /** Terminal width; the redrawn line is cut to it so it never wraps. */
  columns?: number;
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Trials expected in all; without it no ETA is shown. */
  total?: number;
  /** Where to write (default `process.stderr`). */
  stream?: ProgressStream;
  /** Forces TTY (redraw) or plain-line output; default: `stream.isTTY`. */
  tty?: boolean;
  /** Lower is better (default true); decides which cost is "best". */
  minimize?: boolean;
  /** Name of the cost shown (default "cost"). */
  metric?: string;
  /** Minimum ms between two redraws on a TTY (default 100). */
  redrawEveryMs?: number;
  /**
   * Minimum ms between two plain lines (default 1000). The first and the last trial (when
   * `total` is reached) always print. Use 0 for one line per trial.
   */
  lineEveryMs?: number;
  /**
   * On a TTY, also redraw every `tickMs` (default 1000) so rate and ETA stay live while a long
   * trial runs; 0 turns it off. Plain-line output never ticks (it would only add noise).
   */
  tickMs?: number;
  /** Clock in ms (default `Date.now`); injectable so the output can be tested exactly. */
  now?: () => number;
}

/** A snapshot of the counters, as {@link Progress.state} returns it. */
export interface ProgressState {
  completed: number;
  done: number;
  failed: number;
  /** Trials stopped early by a pruner (counted apart from `failed`). */
  pruned: number;
  total?: number;
  best?: number;
  elapsedMs: number;
  /** Completed trials per second since the start. */
  rate: number;
  /** Seconds left at the current rate, when `total` is known and something completed. */
  etaSeconds?: number;
}

/**
 * Counts trial outcomes and shows them on one line.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.js";
 *
 * const progress = new Progress({ total: 24 });
 * task.on("onReport", (report) => progress.report(report));
 * await scheduler.run();
 * progress.finish(); // final line, and the newline after a redrawn line
 * ```
 */
export class Progress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly options: ProgressOptions;
  private readonly start: number;
  private completed = 0;
  private failed = 0;
  private pruned = 0;
  private best: number | undefined;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastDrawn = -1;
  private drewInPlace = false;
  private ticker: NodeJS.Timeout | undefined;

  constructor(options: ProgressOptions = {}) {
    if (options.total !== undefined && !(Number.isInteger(options.total) && options.total >= 0)) {
      throw new RangeError(`Progress: total must be a non-negative integer, got ${options.total}`);
    }
    this.options = options;
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.now = options.now ?? Date.now;
    this.start = this.now();
    if (this.tty) {
      this.draw(true); // something on screen before the first trial ends
      const tick = options.tickMs ?? 1000;
      if (tick > 0) {
        this.ticker = setInterval(() => this.draw(true), tick);
        this.ticker.unref(); // never keeps the process alive
      }
    }
  }

  /**
   * Records one outcome: `ok` false counts as failed (fail or crashed), or as pruned when
   * `pruned` is set; a finite `cost` updates the best so far.
   */
  record(ok: boolean, cost?: number, pruned = false): void {
    this.completed++;
    if (!ok && pruned) this.pruned++;
    else if (!ok) this.failed++;
    if (ok && typeof cost === "number" && Number.isFinite(cost)) {
      const better =
        this.best === undefined ||
        (this.options.minimize === false ? cost > this.best : cost < this.best);
      if (better) this.best = cost;
    }
    this.draw(false);
  }

  /**
   * Records a trial report: `success` counts as done, a pruned trial (see `isPruned`) as
   * pruned, anything else as failed.
   */
  report(report: {
    status: string;
    values: Record<string, unknown>;
    exception?: string | null;
  }): void {
    const value = report.values[this.options.metric ?? "cost"];
    const ok = report.status === "success";
    const pruned = isPruned({
      status: report.status as TrialStatus,
      exception: report.exception ?? null,
    });
    this.record(ok, typeof value === "number" ? value : undefined, pruned);
  }

  /** The counters now. */
  state(): ProgressState {
    const elapsedMs = Math.max(0, this.now() - this.start);
    const rate = this.completed / Math.max(elapsedMs / 1000, 1e-3);
    const state: ProgressState = {
      completed: this.completed,
      done: this.completed - this.failed - this.pruned,
      failed: this.failed,
      pruned: this.pruned,
      elapsedMs,
      rate,
    };
    if (this.options.total !== undefined) {
      state.total = this.options.total;
      if (this.completed > 0) {
        state.etaSeconds = Math.max(0, this.options.total - this.completed) / rate;
      }
    }
    if (this.best !== undefined) state.best = this.best;
    return state;
  }

  /** The line as it would be shown now. */
  line(): string {
    const s = this.state();
    const count = s.total === undefined ? `[${s.completed}]` : `[${s.completed}/${s.total}]`;
    const best = s.best === undefined ? "-" : formatNumber(s.best);
    const eta = s.etaSeconds === undefined ? "" : ` | ETA ${formatDuration(s.etaSeconds)}`;
    // Pruned trials only show up once there are some, so plain sweeps keep the short line.
    const pruned = s.pruned > 0 ? ` pruned ${s.pruned}` : "";
    return (
      `${count} done ${s.done} failed ${s.failed}${pruned} | best ${this.options.metric ?? "cost"} ` +
      `${best} | ${formatNumber(s.rate)} trials/s${eta}`
    );
  }

  /** Draws the final state (if not drawn yet) and ends a redrawn line with a newline. */
  finish(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.lastDrawn !== this.completed) this.draw(true);
    if (this.drewInPlace) this.stream.write("\n");
    this.drewInPlace = false;
  }

  private draw(force: boolean): void {
    const t = this.now();
    const last = this.options.total !== undefined && this.completed >= this.options.total;
    const every = this.tty
      ? (this.options.redrawEveryMs ?? 100)
      : (this.options.lineEveryMs ?? 1000);
    if (!force && !last && this.lastDrawn >= 0 && t - this.lastDraw < every) return;
    this.lastDraw = t;
    this.lastDrawn = this.completed;
    const line = this.line();
    if (this.tty) {
      const width = this.stream.columns;
      const cut = width && width > 1 && line.length >= width ? line.slice(0, width - 1) : line;
      this.stream.write(`\r\x1b[K${cut}`);
      this.drewInPlace = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}

/** Short human number: integers as is, others with 4 significant digits. */
export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

/** Seconds as `12s`, `3m04s` or `1h02m`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
