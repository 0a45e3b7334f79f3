/**
 * Worker-side trampoline for {@link TrialTask}: imports the user's function, rebuilds the
 * trial, runs it and sends the report back as plain data.
 *
 * @module
 */

import { importable, type ModuleRef } from "../scheduling/executors/executor.js";
import { importFunction } from "../scheduling/executors/import-error.js";
import { importOnce } from "../scheduling/executors/import-once.js";
import { isCommHandle } from "../scheduling/plugins/comm-handle.js";
import type { TrialReportJSON } from "./report.js";
import { Trial, type TrialJSON } from "./trial.js";
import { type TrialWrapperRef, wrapTrialFn } from "./trial-wrappers.js";

/**
 * Imports `fnRef`, rebuilds the trial from `trialJson`, awaits `fn(trial)` and returns the
 * report's JSON. `Trial.Task` submits it to worker executors; a function that cannot be imported
 * comes back as a failed report naming the module, export and why; an error or a non-report
 * return as a crashed report; never a rejection.
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
    let fn: (trial: Trial) => unknown;
    try {
      fn = (await importFunction(importOnce, fnRef.moduleUrl, fnRef.exportName)) as typeof fn;
    } catch (error) {
      // The function never ran: the trial failed (saying why), it did not crash.
      return trial.fail(error).toJSON();
    }
    try {
      const wrapped = await wrapTrialFn(fn, wrappers);
      return (await wrapped(trial)).toJSON();
    } catch (error) {
      return trial.crashed(error).toJSON();
    }
  },
  import.meta.url,
  "callTrial",
);
