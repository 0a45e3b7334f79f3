/**
 * The errors of durable sweeps: a sweep reopened with another space or optimizer, a journal
 * the optimizer does not replay to the same trials, a sweep another driver still holds, and a
 * bad sweep option.
 *
 * @module
 */

import { AmltkError, type AmltkErrorOptions } from "../../shared/errors.js";
import { OptionError } from "../../shared/options.js";

/**
 * A sweep was reopened with a space, optimizer, seed or metrics other than the ones it was
 * started with. Names the first difference, as a path into the sweep's spec, with both values.
 * Code `sweep_mismatch`.
 *
 * @example
 * ```ts
 * try {
 *   await optimize({ ...options, sweep: { name: "s1", store } });
 * } catch (e) {
 *   if (e instanceof SweepMismatchError) console.error(e.path, e.stored, e.given);
 * }
 * // SweepMismatchError: sweep "s1" was started with another spec: optimizer: stored "TPE", given "RandomSearch"
 * ```
 */
export class SweepMismatchError extends AmltkError<"sweep_mismatch"> {
  override readonly name = "SweepMismatchError";
  constructor(
    readonly sweep: string,
    /** Where the specs differ, e.g. `space.params[0].dist.high` or `optimizer`. */
    readonly path: string,
    readonly stored: unknown,
    readonly given: unknown,
  ) {
    super(
      "sweep_mismatch",
      `sweep "${sweep}" was started with another spec: ${path}: stored ${show(stored)}, ` +
        `given ${show(given)} (use another sweep name, or the original space and optimizer)`,
    );
  }
}

/**
 * Replaying a sweep's journal, the optimizer asked another trial than the one journaled (its
 * code changed, or it is not deterministic given its seed and the ask/tell order). Code
 * `sweep_replay`.
 *
 * @example
 * ```ts
 * // SweepReplayError: sweep "s1": replaying ask 12, the optimizer gave trial-0012 {"x":0.3}, the journal holds trial-0012 {"x":0.7}
 * if (hasCode(e, "sweep_replay")) console.error(e.message);
 * ```
 */
export class SweepReplayError extends AmltkError<"sweep_replay"> {
  override readonly name = "SweepReplayError";
  constructor(message: string, options?: AmltkErrorOptions) {
    super("sweep_replay", message, options);
  }
}

/**
 * Another driver, still alive, holds the sweep (its record is running and its owner process
 * lives). Code `sweep_busy`.
 *
 * @example
 * ```ts
 * // SweepBusyError: sweep "s1" is driven by process 4242 on host-a since 2026-12-04T23:00:00.000Z
 * if (hasCode(e, "sweep_busy")) process.exit(1);
 * ```
 */
export class SweepBusyError extends AmltkError<"sweep_busy"> {
  override readonly name = "SweepBusyError";
  constructor(message: string) {
    super("sweep_busy", message);
  }
}

/**
 * A bad durable-sweep option (a name with characters a run id cannot hold, a store that is
 * not a `Store`). Code `invalid_option`.
 *
 * @example
 * ```ts
 * // SweepOptionError: sweep: `name` must match [A-Za-z0-9_-]{1,64}, got "my sweep"
 * ```
 */
export class SweepOptionError extends OptionError {
  override name = "SweepOptionError";
  constructor(message: string, option?: string) {
    super("invalid_option", `sweep: ${message}`, option);
  }
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const text = JSON.stringify(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * Why a resumed sweep reports a trial crashed: its driver died while the trial was in flight,
 * and the trial's worker (a thread or process of that driver) died with it. Code
 * `driver_lost`.
 *
 * @example
 * ```ts
 * const report = trial.crashed(new SweepDriverLostError("s1"));
 * report.exception; // 'the driver of sweep "s1" died while this trial ran; its worker died with it'
 * ```
 */
export class SweepDriverLostError extends AmltkError<"driver_lost"> {
  override readonly name = "SweepDriverLostError";
  constructor(sweep: string) {
    super(
      "driver_lost",
      `the driver of sweep "${sweep}" died while this trial ran; its worker died with it`,
    );
  }
}
