/**
 * A run's background jobs on one interval timer: flushes (every ~100 ms while anything is
 * pending), heartbeats and system samples. Each job keeps its own interval; the timer ticks at
 * the shortest of them and a job runs at the first tick at or past its due time, so with the
 * defaults (100 ms, 5 s, 10 s: multiples of the tick) every job runs when a timer of its own
 * would have. One timer instead of three: a worker that runs a trial per run creates, unrefs and
 * clears them for every trial, and compiles Node's timer code for them.
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
 * The tick state of one run's jobs, in ms of ticks since the timer started.
 *
 * @example
 * ```ts
 * const timer = startRunClock(sink, run.id, { flush: 100, heartbeat: 5000, system: 0 }, null);
 * clearInterval(timer); // at finish
 * ```
 */
export class RunClock {
  /** The timer's period: the shortest job interval. */
  readonly period: number;
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

/** The timer's callback, a module function given its clock: no closure per run. */
function clockTick(clock: RunClock): void {
  clock.tick();
}

/**
 * Starts a run's jobs on one unref'd interval timer (it does not keep the process alive);
 * clear it with `clearInterval` at finish.
 */
export function startRunClock(
  sink: RunSink,
  id: string,
  intervals: RunIntervals,
  sample: (() => void) | null,
): NodeJS.Timeout {
  const clock = new RunClock(sink, id, intervals, sample);
  const timer = setInterval(clockTick, clock.period, clock);
  timer.unref();
  return timer;
}
