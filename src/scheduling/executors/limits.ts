/**
 * Resource-limit errors and the host-side readers the pools use to watch a worker's CPU time
 * and memory while it runs a limited call (Linux `/proc`; elsewhere only wall time applies).
 */
import { readFileSync } from "node:fs";
import { AmltkError } from "../../shared/errors.js";
import type { LimitSpec } from "./executor.js";

/**
 * The codes of {@link LimitExceededError}, one per limit: `wall_time_exceeded`,
 * `cpu_time_exceeded`, `memory_limit_exceeded`.
 */
export type LimitExceededCode =
  | "wall_time_exceeded"
  | "cpu_time_exceeded"
  | "memory_limit_exceeded";

const LIMIT_CODES: Record<keyof LimitSpec, LimitExceededCode> = {
  wallTime: "wall_time_exceeded",
  cpuTime: "cpu_time_exceeded",
  memory: "memory_limit_exceeded",
};

/**
 * A call went over one of its resource limits and was stopped: the base of
 * {@link WallTimeExceeded}, {@link CpuTimeExceeded} and {@link MemoryLimitExceeded}. Its `code`
 * names the limit: `wall_time_exceeded`, `cpu_time_exceeded` or `memory_limit_exceeded`.
 *
 * @example
 * ```ts
 * task.on("onException", (_future, err) => {
 *   if (err instanceof LimitExceededError) console.log(err.limit, err.value, err.message);
 * });
 * await scheduler.run({ onException: [[LimitExceededError, "continue"]] });
 * ```
 */
export class LimitExceededError extends AmltkError<LimitExceededCode> {
  /** Which limit: "wallTime" (s), "cpuTime" (s) or "memory" (bytes). */
  readonly limit: keyof LimitSpec;
  /** The limit's value. */
  readonly value: number;

  constructor(limit: keyof LimitSpec, value: number, detail: string) {
    super(LIMIT_CODES[limit], detail);
    this.limit = limit;
    this.value = value;
  }
}

/**
 * The call ran longer than its `wallTime` limit (seconds).
 *
 * @example
 * ```ts
 * task.on("onException", (_f, e) => e instanceof WallTimeExceeded && console.log(e.value)); // 60
 * ```
 */
export class WallTimeExceeded extends LimitExceededError {
  constructor(seconds: number) {
    super(
      "wallTime",
      seconds,
      `WallTimeExceeded: the call ran longer than its wallTime limit of ${seconds}s`,
    );
    this.name = "WallTimeExceeded";
  }
}

/**
 * The call used more CPU time than its `cpuTime` limit (seconds).
 *
 * @example
 * ```ts
 * await scheduler.run({ onException: [[CpuTimeExceeded, "continue"]] });
 * ```
 */
export class CpuTimeExceeded extends LimitExceededError {
  constructor(seconds: number) {
    super(
      "cpuTime",
      seconds,
      `CpuTimeExceeded: the call used more than its cpuTime limit of ${seconds}s of CPU`,
    );
    this.name = "CpuTimeExceeded";
  }
}

/**
 * The call's worker used more memory than its `memory` limit (bytes).
 *
 * @example
 * ```ts
 * trialTask.on("onFailed", (r) => r.exception?.startsWith("MemoryLimitExceeded") && shrink());
 * ```
 */
export class MemoryLimitExceeded extends LimitExceededError {
  constructor(bytes: number) {
    super(
      "memory",
      bytes,
      `MemoryLimitExceeded: the call used more than its memory limit of ${bytes} bytes`,
    );
    this.name = "MemoryLimitExceeded";
  }
}

/**
 * A limit was asked of an executor that cannot enforce it; the message says why and what to
 * use instead. Thrown at Task creation (by `Limits`) or at submit. Code `unsupported_limit`.
 *
 * @example
 * ```ts
 * const s = Scheduler.withThreads({ maxWorkers: 2 });
 * try {
 *   s.task(train, { plugins: [new Limits({ memory: 2 ** 30 })] });
 * } catch (e) {
 *   if (e instanceof UnsupportedLimitError) console.log(e.limit, e.executor); // memory threads
 * }
 * ```
 */
export class UnsupportedLimitError extends AmltkError<"unsupported_limit"> {
  /** Which limit. */
  readonly limit: keyof LimitSpec;
  /** Which executor refused it, e.g. "threads". */
  readonly executor: string;

  constructor(limit: keyof LimitSpec, executor: string, why: string) {
    super(
      "unsupported_limit",
      `Limits: ${limit} cannot be enforced on the ${executor} executor: ${why}`,
    );
    this.name = "UnsupportedLimitError";
    this.limit = limit;
    this.executor = executor;
  }
}

/** Throws a RangeError naming a limit that is not a positive number (or absent). */
export function checkLimits(limits: LimitSpec): void {
  for (const key of ["wallTime", "cpuTime", "memory"] as const) {
    const v = limits[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || Number.isNaN(v) || v <= 0) {
      const unit = key === "memory" ? "bytes" : "seconds";
      throw new RangeError(`Limits: ${key} must be a positive number of ${unit}, got ${String(v)}`);
    }
  }
}

/** Usage of a worker so far: CPU seconds (user+system) and resident bytes, where known. */
export interface Usage {
  cpu?: number;
  rss?: number;
}

// USER_HZ is 100 on every mainstream Linux build (x86, arm); /proc times are in these ticks.
const TICKS = 100;
const PAGE = 4096;

/** Reads `/proc/<pid>[/task/<tid>]/stat`: CPU seconds and (for a process) resident bytes. */
export function procUsage(pid: number, tid?: number): Usage {
  try {
    const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
    const stat = readFileSync(path, "utf8");
    // Fields after "(comm)": state is field 3; utime 14, stime 15, rss 24 (1-based).
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = (Number(f[11]) + Number(f[12])) / TICKS;
    const rss = tid === undefined ? Number(f[21]) * PAGE : undefined;
    return { cpu, rss };
  } catch {
    return {};
  }
}

/** How often CPU time and memory are sampled while a limited call runs. */
export const POLL_MS = 25;

/**
 * Watches one running call: fires `breach` at most once, with the error naming the limit.
 * Memory is only polled where `usage` reports it. Returns a function that stops watching.
 */
export function watchLimits(
  limits: LimitSpec,
  usage: () => Usage,
  breach: (err: LimitExceededError) => void,
): () => void {
  let fired = false;
  const fire = (err: LimitExceededError) => {
    if (fired) return;
    fired = true;
    stop();
    breach(err);
  };
  const { wallTime, cpuTime, memory } = limits;
  const wall =
    wallTime !== undefined
      ? setTimeout(() => fire(new WallTimeExceeded(wallTime)), wallTime * 1000)
      : undefined;
  // A worker that has not said who it is yet (a thread's id) counts from its first sample.
  let base = usage().cpu;
  const poll =
    cpuTime !== undefined || memory !== undefined
      ? setInterval(() => {
          const u = usage();
          base ??= u.cpu;
          if (
            cpuTime !== undefined &&
            u.cpu !== undefined &&
            base !== undefined &&
            u.cpu - base > cpuTime
          ) {
            fire(new CpuTimeExceeded(cpuTime));
          } else if (memory !== undefined && u.rss !== undefined && u.rss > memory) {
            fire(new MemoryLimitExceeded(memory));
          }
        }, POLL_MS)
      : undefined;
  function stop() {
    clearTimeout(wall);
    clearInterval(poll);
  }
  return stop;
}
