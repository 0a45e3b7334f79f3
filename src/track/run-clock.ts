/**
 * A run's background jobs on one clock: flushes (every ~100 ms while anything is pending),
 * heartbeats and system samples. Each job keeps its own interval; the clock ticks at the
 * shortest of them and a job runs at the first tick at or past its due time, so with the
 * defaults (100 ms, 5 s, 10 s: multiples of the tick) every job runs when a timer of its own
 * would have.
 *
 * Every run's clock is driven by one process-wide timer, armed for the earliest tick due among
 * the live clocks (each clock ticks on its own schedule, from its own start, as an interval
 * timer of its own would). A worker that runs a trial per run then starts and stops no timer
 * per trial: a run adds its clock to a set and removes it at finish, and the timer, which
 * rarely finds a tick due before the trial's run is gone, fires about once per flush interval.
 * Setting, unref'ing and clearing a Node timer per run costs a few system-facing calls and
 * Node's timer code compiled in every new worker.
 */
import type { RunSink } from "./run-sink.js";

/** A run's job intervals in ms; `system` 0 (or less) samples nothing. */
export interface RunIntervals {
  flush: number;
  heartbeat: number;
  system: number;
}

/** Node's largest timer delay; a delay above it, below 1 or NaN is 1 ms (as `setInterval` does). */
const TIMEOUT_MAX = 2 ** 31 - 1;

function timerDelay(ms: number): number {
  return ms >= 1 && ms <= TIMEOUT_MAX ? ms : 1;
}

/**
 * The tick state of one run's jobs, in ms of ticks since the clock started.
 *
 * @example
 * ```ts
 * const clock = new RunClock(sink, run.id, { flush: 100, heartbeat: 5000, system: 0 }, null);
 * clock.tick(); // what the clock timer does every `clock.period` ms
 * ```
 */
export class RunClock {
  /** The clock's period: the shortest job interval. */
  readonly period: number;
  /** When the next tick is due, in `performance.now()` ms (set by {@link startRunClock}). */
  dueAt = Number.POSITIVE_INFINITY;
  private elapsed = 0;
  private nextFlush: number;
  private nextBeat: number;
  private nextSample: number;
  private readonly flushEvery: number;
  private readonly beatEvery: number;
  private readonly sampleEvery: number;

  constructor(
    private readonly sink: RunSink,
    private readonly id: string,
    intervals: RunIntervals,
    private readonly sample: (() => void) | null,
  ) {
    this.flushEvery = timerDelay(intervals.flush);
    this.beatEvery = timerDelay(intervals.heartbeat);
    this.sampleEvery = sample === null ? Number.POSITIVE_INFINITY : timerDelay(intervals.system);
    this.period = Math.min(this.flushEvery, this.beatEvery, this.sampleEvery);
    this.nextFlush = this.flushEvery;
    this.nextBeat = this.beatEvery;
    this.nextSample = this.sampleEvery;
  }

  /** One tick: runs each job that is due. */
  tick(): void {
    this.elapsed += this.period;
    const now = this.elapsed;
    if (now >= this.nextFlush) {
      this.nextFlush += this.flushEvery;
      if (this.sink.pending) void this.sink.flush();
    }
    if (now >= this.nextBeat) {
      this.nextBeat += this.beatEvery;
      heartbeat(this.sink, this.id);
    }
    if (now >= this.nextSample) {
      this.nextSample += this.sampleEvery;
      this.sample?.();
    }
  }
}

/** The heartbeat: the run's row says its process is alive. */
function heartbeat(sink: RunSink, id: string): void {
  if (sink.pendingCreate) return; // no row yet: the next flush writes it, with its heartbeat
  void sink.store.updateRun(id, { heartbeatAt: Date.now() }).catch((e) => sink.warn(e));
}

/** The live clocks, ticked by the one timer below. */
const clocks = new Set<RunClock>();
/** The process-wide timer, armed for {@link armedAt}; null when no clock is live. */
let timer: NodeJS.Timeout | null = null;
/** When the armed timer fires, in `performance.now()` ms. */
let armedAt = Number.POSITIVE_INFINITY;
/**
 * A tick due within this many ms runs now: a timer fires by the event loop's cached clock,
 * which can be a little behind `performance.now()`, and a re-arm for a fraction of a ms would
 * cost a loop turn for nothing (an interval timer of its own runs that early too).
 */
const EARLY_MS = 1;

/** Arms the timer for `at` (replacing a later one). */
function arm(at: number): void {
  if (timer !== null) clearTimeout(timer);
  armedAt = at;
  timer = setTimeout(fire, Math.max(1, Math.ceil(at - performance.now())));
  timer.unref();
}

/** Ticks every clock that is due (each then due a period from now), and re-arms for the next. */
function fire(): void {
  timer = null;
  armedAt = Number.POSITIVE_INFINITY;
  const now = performance.now();
  let next = Number.POSITIVE_INFINITY;
  for (const clock of clocks) {
    if (clock.dueAt <= now + EARLY_MS) {
      // As an interval timer: the next tick a period after this one ran.
      clock.dueAt = now + clock.period;
      clock.tick();
    }
    // A clock stopped by its own tick is gone from the set; the next fire skips it.
    if (clocks.has(clock) && clock.dueAt < next) next = clock.dueAt;
  }
  if (next !== Number.POSITIVE_INFINITY && next < armedAt) arm(next);
}

/**
 * Starts a run's jobs on the process-wide clock timer (unref'd: it does not keep the process
 * alive); stop them with {@link stopRunClock} at finish.
 *
 * @example
 * ```ts
 * const clock = startRunClock(sink, run.id, { flush: 100, heartbeat: 5000, system: 0 }, null);
 * stopRunClock(clock); // at finish
 * ```
 */
export function startRunClock(
  sink: RunSink,
  id: string,
  intervals: RunIntervals,
  sample: (() => void) | null,
): RunClock {
  const clock = new RunClock(sink, id, intervals, sample);
  clock.dueAt = performance.now() + clock.period;
  clocks.add(clock);
  if (clock.dueAt < armedAt) arm(clock.dueAt);
  return clock;
}

/**
 * Stops a run's jobs. The timer stays armed: when it fires it re-arms for the next live clock,
 * or stops when there is none (a run per trial leaves it for the next trial's run).
 */
export function stopRunClock(clock: RunClock): void {
  clocks.delete(clock);
}
