/**
 * How `Run.finish` closes a run: an exit code (W&B's `finish(exit_code)`), or options naming
 * the closing state, so that a trial stopped by a pruner ends `pruned` (Optuna's PRUNED), not
 * `failed`. Checked here, before anything is written.
 */
import { checkOptionKeys, optionKeys } from "../shared/options.js";
import type { RunState } from "../store/types.js";
import { TrackError } from "./errors.js";

/**
 * The states a run can be closed with by `finish` (`crashed` is a reader's verdict).
 *
 * @example
 * ```ts
 * const state: FinishState = trialWasPruned ? "pruned" : "finished";
 * await run.finish({ state });
 * ```
 */
export type FinishState = "finished" | "failed" | "pruned";

/**
 * Options of `run.finish`: the closing state and exit code.
 *
 * @example
 * ```ts
 * await run.finish({ state: "pruned" }); // stopped early on purpose: state "pruned", exit code 0
 * await run.finish({ exitCode: 2 });     // state "failed", exit code 2 (as finish(2))
 * ```
 */
export interface FinishOptions {
  /** Default: `finished` for exit code 0, `failed` otherwise. */
  state?: FinishState;
  /** An integer; default 0, or 1 with state `failed`. */
  exitCode?: number;
}

/** What the closing write records. */
export interface RunClose {
  state: RunState;
  exitCode: number;
}

const FINISH_STATES: readonly FinishState[] = ["finished", "failed", "pruned"];
const FINISH_KEYS = optionKeys<FinishOptions>({ state: true, exitCode: true });

/**
 * The closing state and code of `finish(how)`; throws a {@link TrackError} naming the bad value
 * (a non-integer code, an unknown state, `finished` with a non-zero code, `failed` with 0).
 *
 * @example
 * ```ts
 * runClose(0); // { state: "finished", exitCode: 0 }
 * runClose({ state: "pruned" }); // { state: "pruned", exitCode: 0 }
 * ```
 */
export function runClose(how: number | FinishOptions | undefined): RunClose {
  if (how === undefined) return { state: "finished", exitCode: 0 };
  if (typeof how === "number")
    return { state: how === 0 ? "finished" : "failed", exitCode: code(how) };
  if (how === null || typeof how !== "object") {
    throw new TrackError(`finish: expected an exit code or options, got ${show(how)}`);
  }
  checkOptionKeys(how, FINISH_KEYS, "finish");
  const state = how.state;
  if (state !== undefined && !FINISH_STATES.includes(state)) {
    throw new TrackError(
      `finish: state must be one of ${FINISH_STATES.join(", ")}, got ${show(state)}`,
    );
  }
  const exitCode = code(how.exitCode ?? (state === "failed" ? 1 : 0));
  if (state === "finished" && exitCode !== 0) {
    throw new TrackError(`finish: state "finished" needs exit code 0, got ${exitCode}`);
  }
  if (state === "failed" && exitCode === 0) {
    throw new TrackError('finish: state "failed" needs a non-zero exit code, got 0');
  }
  return { state: state ?? (exitCode === 0 ? "finished" : "failed"), exitCode };
}

function code(x: unknown): number {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TrackError(`finish: exit code must be an integer, got ${show(x)}`);
  }
  return x;
}

function show(x: unknown): string {
  return typeof x === "string" ? JSON.stringify(x) : String(x);
}
