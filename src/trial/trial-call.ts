/**
 * Worker-side trampoline for {@link TrialTask}: imports the user's function, rebuilds the
 * trial, runs it and sends the report back as plain data.
 *
 * @module
 */

import { importable, type ModuleRef } from "../scheduling/executors/executor.js";
import { importOnce } from "../scheduling/executors/import-once.js";
import { isCommHandle } from "../scheduling/plugins/comm-handle.js";
import { TrialReport, type TrialReportJSON } from "./report.js";
import { Trial, type TrialJSON } from "./trial.js";

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

/**
 * Imports `fnRef`, rebuilds the trial from `trialJson`, awaits `fn(trial)` and returns the
 * report's JSON. `Trial.Task` submits it to worker executors; an error or a non-report return
 * comes back as a crashed report, never a rejection.
 *
 * @example
 * ```ts
 * const json = await callTrial({ moduleUrl: import.meta.url, exportName: "evaluate" }, trial.toJSON());
 * const report = TrialReport.fromJSON(json);
 * ```
 */
export const callTrial = importable(
  async (
    fnRef: ModuleRef,
    trialJson: TrialJSON,
    wrappers: readonly TrialWrapperRef[] = [],
    comm?: unknown,
  ): Promise<TrialReportJSON> => {
    const trial = Trial.fromJSON(trialJson);
    // With a Comm plugin the worker passes the call's handle last: the trial gets it.
    if (isCommHandle(comm)) trial.plugins.comm = comm;
    let fn: unknown;
    try {
      const mod = await importOnce(fnRef.moduleUrl);
      fn = mod[fnRef.exportName];
      if (typeof fn !== "function") {
        throw new TypeError(`${fnRef.moduleUrl} has no exported function "${fnRef.exportName}"`);
      }
      const wrapped = await wrapTrialFn(fn as (trial: Trial) => unknown, wrappers);
      return (await wrapped(trial)).toJSON();
    } catch (error) {
      return trial.crashed(error).toJSON();
    }
  },
  import.meta.url,
  "callTrial",
);
