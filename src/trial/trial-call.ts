/**
 * Worker-side trampoline for {@link TrialTask}: imports the user's function, rebuilds the
 * trial, runs it and sends the report back as plain data.
 *
 * @module
 */

import { importable, type ModuleRef } from "../scheduling/executors/executor.js";
import { TrialReport, type TrialReportJSON } from "./report.js";
import { Trial, type TrialJSON } from "./trial.js";

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
 * report's JSON.
 */
export const callTrial = importable(
  async (fnRef: ModuleRef, trialJson: TrialJSON): Promise<TrialReportJSON> => {
    const trial = Trial.fromJSON(trialJson);
    let fn: unknown;
    try {
      const mod = (await import(fnRef.moduleUrl)) as Record<string, unknown>;
      fn = mod[fnRef.exportName];
      if (typeof fn !== "function") {
        throw new TypeError(`${fnRef.moduleUrl} has no exported function "${fnRef.exportName}"`);
      }
    } catch (error) {
      return trial.crashed(error).toJSON();
    }
    const report = await runTrialFn(fn as (trial: Trial) => unknown, trial);
    return report.toJSON();
  },
  import.meta.url,
  "callTrial",
);
