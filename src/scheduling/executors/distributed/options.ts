/** Options of the queue executor (`QueueExecutor`, `Scheduler.withQueue`). */
import { randomUUID } from "node:crypto";
import type { RedisOptions } from "ioredis";
import { checkOptionKeys, OptionError, optionKeys } from "../../../shared/options.js";

/**
 * Options of {@link QueueExecutor} (and `Scheduler.withQueue`).
 *
 * @example
 * ```ts
 * const options: QueueExecutorOptions = {
 *   connection: "redis://127.0.0.1:6379",
 *   queue: "sweep",
 *   maxWorkers: 8,
 * };
 * const scheduler = Scheduler.withQueue(options);
 * ```
 */
export interface QueueExecutorOptions {
  /** Redis to use: a `redis://` URL or ioredis options. */
  connection: string | RedisOptions;
  /** BullMQ queue name; `amltk worker --queue NAME` serves it. No `:` in it. */
  queue: string;
  /**
   * How many calls are expected to run at once (the worker slots serving the queue):
   * `optimize()` keeps this many trials in flight. Every call is queued at once whatever it is.
   */
  maxWorkers: number;
  /**
   * This driver's stable id: the Redis list its workers push messages onto. A driver started
   * again with the same id finds the messages sent while it was away (durable sweeps).
   * Letters, digits, `-`, `_` and `.`.
   * @defaultValue a random UUID
   */
  driverId?: string;
  /**
   * How many times a call whose worker was lost may run again. 0: a lost call is reported
   * crashed (`WorkerDiedError`) exactly once and never run a second time.
   * @defaultValue 0
   */
  retries?: number;
  /**
   * BullMQ key prefix.
   * @defaultValue "bull"
   */
  prefix?: string;
  /**
   * Seconds between passes that collect finished jobs straight from Redis (results whose
   * message was missed, jobs lost with their worker). Also run on every reconnect.
   * @defaultValue 1
   */
  reconcileSeconds?: number;
  /**
   * Seconds between this driver's checks for stalled jobs (a worker that stopped renewing its
   * lock), so a lost call is reported even when no worker is left. Workers check too.
   * @defaultValue 30
   */
  stalledIntervalSeconds?: number;
}

/**
 * The defaults of {@link QueueExecutorOptions}, the ones the queue executor uses.
 *
 * @example
 * ```ts
 * QUEUE_EXECUTOR_DEFAULTS.retries; // 0
 * ```
 */
export const QUEUE_EXECUTOR_DEFAULTS = Object.freeze({
  retries: 0,
  prefix: "bull",
  reconcileSeconds: 1,
  stalledIntervalSeconds: 30,
});

const QUEUE_EXECUTOR_KEYS = optionKeys<QueueExecutorOptions>({
  connection: true,
  queue: true,
  maxWorkers: true,
  driverId: true,
  retries: true,
  prefix: true,
  reconcileSeconds: true,
  stalledIntervalSeconds: true,
});

/** Resolved {@link QueueExecutorOptions}. */
export type ResolvedQueueOptions = Required<QueueExecutorOptions>;

const NAME = /^[A-Za-z0-9_.-]+$/;

function invalid(option: string, message: string): OptionError {
  return new OptionError("invalid_option", `QueueExecutor: ${message}`, option);
}

function positive(option: string, value: unknown, integer: boolean, zero = false): void {
  const ok =
    typeof value === "number" &&
    (zero ? value >= 0 : value > 0) &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const what = integer ? "integer" : "number";
    throw invalid(
      option,
      `${option} must be a ${zero ? "non-negative" : "positive"} ${what}, got ${String(value)}`,
    );
  }
}

/**
 * Checks the queue executor's options and fills in the defaults.
 *
 * @example
 * ```ts
 * resolveQueueOptions({ connection: "redis://127.0.0.1:6379", queue: "q", maxWorkers: 2 }).retries; // 0
 * ```
 */
export function resolveQueueOptions(options: QueueExecutorOptions): ResolvedQueueOptions {
  checkOptionKeys(options, QUEUE_EXECUTOR_KEYS, "QueueExecutor");
  const o = { ...QUEUE_EXECUTOR_DEFAULTS, driverId: randomUUID(), ...options };
  if (typeof o.connection !== "string" && (typeof o.connection !== "object" || !o.connection)) {
    throw invalid(
      "connection",
      `connection must be a redis:// URL or ioredis options, got ${String(o.connection)}`,
    );
  }
  if (typeof o.queue !== "string" || !NAME.test(o.queue)) {
    throw invalid(
      "queue",
      `queue must be a name of letters, digits, "-", "_" or ".", got ${JSON.stringify(o.queue)}`,
    );
  }
  if (typeof o.driverId !== "string" || !NAME.test(o.driverId)) {
    throw invalid(
      "driverId",
      `driverId must be letters, digits, "-", "_" or ".", got ${JSON.stringify(o.driverId)}`,
    );
  }
  positive("maxWorkers", o.maxWorkers, true);
  positive("retries", o.retries, true, true);
  positive("reconcileSeconds", o.reconcileSeconds, false);
  positive("stalledIntervalSeconds", o.stalledIntervalSeconds, false);
  return o;
}
