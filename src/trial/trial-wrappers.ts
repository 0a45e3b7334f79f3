/**
 * Trial wrappers: what plugins run around a trial's function (first = outermost), in the host
 * (sequential executor) or in a worker (through `callTrial`). Needs no runtime `Trial`, so the
 * host side (`trial-task.ts`) uses it without loading the worker trampoline.
 *
 * @module
 */

import { importOnce } from "../scheduling/executors/import-once.js";
import { TrialReport } from "./report.js";
import type { Trial } from "./trial.js";

/** A worker-side wrapper a plugin contributes: `async (trial, options, next) => report`. */
export interface TrialWrapperRef {
  moduleUrl: string;
  exportName: string;
  options: unknown;
}

/** The function a {@link TrialWrapperRef} names. */
export type TrialWrapperFn = (
  trial: Trial,
  options: unknown,
  next: (trial: Trial) => Promise<TrialReport>,
) => Promise<TrialReport>;

/** Imports the wrappers and applies them (first = outermost) around `fn`. */
export async function wrapTrialFn(
  fn: (trial: Trial) => unknown,
  wrappers: readonly TrialWrapperRef[] = [],
): Promise<(trial: Trial) => Promise<TrialReport>> {
  let next = (trial: Trial) => runTrialFn(fn, trial);
  for (const ref of [...wrappers].reverse()) {
    const mod = await importOnce(ref.moduleUrl);
    const w = mod[ref.exportName];
    if (typeof w !== "function") {
      throw new TypeError(`${ref.moduleUrl} has no exported trial wrapper "${ref.exportName}"`);
    }
    const inner = next;
    next = async (trial: Trial) => {
      try {
        const r = await (w as TrialWrapperFn)(trial, ref.options, inner);
        return r instanceof TrialReport
          ? r
          : trial.crashed(new TypeError("trial wrapper returned no report"));
      } catch (error) {
        return trial.crashed(error);
      }
    };
  }
  return next;
}

/** Runs `fn(trial)`; an escaping error or a non-report return becomes a crashed report. */
export async function runTrialFn(
  fn: (trial: Trial) => unknown,
  trial: Trial,
): Promise<TrialReport> {
  try {
    const report = await fn(trial);
    if (report instanceof TrialReport) return report;
    return trial.crashed(
      new TypeError(
        `Trial "${trial.name}": the task function must return a Trial.Report ` +
          `(trial.success/fail/crashed), got ${report === null ? "null" : typeof report}`,
      ),
    );
  } catch (error) {
    return trial.crashed(error);
  }
}
