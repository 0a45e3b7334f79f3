/**
 * `TellError`: the one error an optimizer's `tell` throws for a report it cannot take (besides
 * the `SpaceError` of a config outside the space), so that every optimizer refuses bad reports
 * alike.
 *
 * @module
 */

import { AmltkError } from "../shared/errors.js";

/**
 * Why a report was refused: not a report, told twice, or lacking a metric's value.
 *
 * @example
 * ```ts
 * const code: TellErrorCode = "duplicate_report";
 * ```
 */
export type TellErrorCode = "invalid_report" | "duplicate_report" | "missing_metric";

/**
 * An optimizer refused a report in `tell`; nothing changed. Codes: `invalid_report` (not a
 * `TrialReport`), `duplicate_report` (that trial was told before; `value` is its name),
 * `missing_metric` (a successful report lacks one of the optimizer's metrics; `value` is the
 * metric's name).
 *
 * @example
 * ```ts
 * try {
 *   opt.tell(report);
 * } catch (e) {
 *   if (e instanceof TellError && e.code === "duplicate_report") console.log(e.value, "twice");
 * }
 * ```
 */
export class TellError extends AmltkError<TellErrorCode> {
  override readonly name = "TellError";
  /** The offending value: the non-report, the trial name told twice, or the missing metric. */
  readonly value: unknown;

  constructor(code: TellErrorCode, message: string, options: { value?: unknown } = {}) {
    super(code, message);
    this.value = options.value;
  }
}
