/**
 * The host side of a trial's run when its worker dies mid-trial. A worker stores its run's row
 * with the run's first write (`initTrialRun`: the first flush, ~100 ms in, or the finish), so a
 * worker killed sooner leaves no row; the host, which gave the run its id at submission
 * (`WandbTrialTracker.preSubmit`), records that run as crashed from the trial it sent. A run the
 * worker did store is closed crashed like any run whose owner died.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { SqliteStore } from "../store/sqlite/index.js";
import { INIT_DEFAULTS } from "../track/init-options.js";
import type { WandbParams } from "./params.js";

/** What the host knows of a run it sent to a worker: its id and the trial it tracks. */
export interface SubmittedRun {
  runId: string;
  trialName: string;
  trialConfig: Record<string, unknown>;
  submittedAt: number;
}

/**
 * Closes the runs a dead worker left in `dir` as crashed: `run` (the call that was running
 * there, when known) is recorded crashed if the worker had not stored it, and every run whose
 * owner process is gone is marked crashed. Best-effort: a failure is a warning, never an error
 * of the trial.
 *
 * @example
 * ```ts
 * task.on("onException", (future) => closeDeadWorkerRuns(dir, params, submitted.get(future)));
 * ```
 */
export function closeDeadWorkerRuns(
  dir: string,
  params: WandbParams,
  run: SubmittedRun | undefined,
): void {
  const abs = resolve(dir);
  if (!existsSync(join(abs, "amltk.db"))) return; // the worker died before its first run
  try {
    const store = SqliteStore.openSync(abs);
    try {
      if (run) recordUnstoredRun(store, params, run);
      store.reapCrashedSync(Number.POSITIVE_INFINITY);
    } finally {
      store.closeSync();
    }
  } catch (error) {
    console.warn(`amltk/wandb: could not close crashed runs in ${abs}: ${String(error)}`);
  }
}

/**
 * Stores `run` closed as crashed when its worker died before storing it: the trial's name and
 * config under the plugin's params (a `modify` ran in the worker and is not applied here), no
 * history (what it logged was still in the worker's memory). One commit.
 */
function recordUnstoredRun(store: SqliteStore, params: WandbParams, run: SubmittedRun): void {
  if (store.getRunSync(run.runId)) return; // stored by the worker: reaped with the others
  const now = Date.now();
  store.writeRunSync(run.runId, {
    create: {
      id: run.runId,
      project: params.project ?? process.env.AMLTK_PROJECT ?? INIT_DEFAULTS.project,
      entity: params.entity ?? null,
      group: params.group ?? null,
      jobType: params.jobType ?? null,
      name: params.name ?? run.trialName,
      notes: params.notes ?? null,
      tags: params.tags ? [...params.tags] : [],
      config: params.config(run.trialConfig),
      createdAt: run.submittedAt,
    },
    history: [],
    patch: { state: "crashed", finishedAt: now, heartbeatAt: now },
  });
}
