/**
 * The loop of {@link optimize}: one ask per worker at the start, then on each report tell the
 * optimizer, keep the report and ask the next trial. With a durable sweep the asks wait for
 * their journal commit before the trial is submitted, trials an earlier driver left in flight
 * are collected or reported crashed first, and the loop ends the run itself once nothing is
 * in flight and nothing more may be asked.
 *
 * @module
 */

import { CancelledError } from "../scheduling/executors/executor.js";
import type { ExitState } from "../scheduling/exit-state.js";
import type { History } from "../trial/history.js";
import type { Progress } from "../trial/progress.js";
import { attachPruner, intermediateValues } from "../trial/pruning.js";
import type { TrialReport, TrialStatus } from "../trial/report.js";
import type { Trial } from "../trial/trial.js";
import type { TrialTask } from "../trial/trial-task.js";
import type { DurableSweep } from "./sweep/durable-sweep.js";
import { SweepDriverLostError } from "./sweep/errors.js";
import type { Optimizer, Pruner } from "./types.js";

/** A {@link Pruner} whose `complete` may also take the trial's final status. */
export interface StatusAwarePruner extends Pruner {
  complete(trialName: string, status?: TrialStatus): void;
}

/** What the loop works with, resolved from the options by `optimize`. */
export interface LoopParts<C extends Record<string, unknown>> {
  task: TrialTask<C>;
  optimizer: Optimizer;
  workers: number;
  maxTrials: number;
  history: History;
  pruner?: StatusAwarePruner;
  progress?: Progress;
  onReport?: (report: TrialReport, history: History) => void;
  sweep?: DurableSweep;
}

/** Tells the pruner a finished trial's values (all of them: some Comm messages may be lost). */
function completeForPruner(pruner: StatusAwarePruner, report: TrialReport): void {
  for (const [step, value] of intermediateValues(report)) pruner.report(report.name, step, value);
  pruner.complete(report.name, report.status);
}

/** The message of the stop a durable loop makes when it is done (reported as EXHAUSTED). */
const SWEEP_DONE = "optimize: the sweep is done";

/**
 * Wires the loop to the task's and scheduler's events, runs the scheduler and returns its exit
 * state (a durable loop that ended the run itself: EXHAUSTED); the handlers are removed after.
 */
export async function runLoop<C extends Record<string, unknown>>(
  parts: LoopParts<C>,
  run: { timeout?: number; wait: boolean },
): Promise<ExitState> {
  const { task, optimizer, pruner, sweep, maxTrials } = parts;
  const scheduler = task.scheduler;
  const ours = new Set<string>();
  let submitted = sweep?.asked ?? 0;
  let asking = true;
  /** Durable asks waiting for their commit. */
  let committing = 0;
  let failure: { error: unknown } | undefined;

  const fail = (error: unknown): void => {
    failure ??= { error };
    scheduler.stop("optimize: the sweep's journal could not be written", error);
  };

  const submit = (trial: Trial): boolean => {
    if (pruner && !task.remote) attachPruner(trial, pruner);
    ours.add(trial.name);
    const accepted = sweep ? sweep.submit(task, trial as Trial<C>) : task.submit(trial as Trial<C>);
    if (accepted !== undefined) return true;
    // A plugin (e.g. a Limiter) refused it: the trial is not evaluated, and asking more
    // would only be refused again, so the loop winds down with what runs.
    ours.delete(trial.name);
    asking = false;
    return false;
  };

  const finishIfDone = (): void => {
    if (!sweep || !scheduler.running() || ours.size > 0 || committing > 0) return;
    if (asking && submitted < maxTrials && !optimizer.exhausted) return;
    scheduler.stop(SWEEP_DONE);
  };

  const askDurably = (durable: DurableSweep): void => {
    submitted++;
    committing++;
    durable
      .ask()
      .then((trial) => {
        committing--;
        if (!trial) submitted--;
        else if (!asking || !scheduler.running() || !submit(trial)) {
          // Never submitted: taken back, so a resumed sweep does not think it ran.
          submitted--;
          durable.abandon(trial).catch(fail);
        }
        finishIfDone();
      })
      .catch(fail); // the journal failed, or the trial could not be submitted
  };

  const askAndSubmit = (n: number): void => {
    const want = Math.min(n, maxTrials - submitted);
    if (!asking || want <= 0 || !scheduler.running() || optimizer.exhausted) return;
    if (sweep) {
      for (let i = 0; i < want; i++) askDurably(sweep);
      return;
    }
    for (const trial of optimizer.ask(want)) {
      if (!asking) break;
      if (submit(trial)) submitted++;
    }
  };

  const take = (report: TrialReport): void => {
    if (sweep) sweep.tell(report).catch(fail);
    else optimizer.tell(report);
    parts.history.add(report);
    if (pruner) completeForPruner(pruner, report);
    parts.progress?.report(report);
    parts.onReport?.(report, parts.history);
  };

  /**
   * Trials an earlier driver left in flight: submitted again under their job ids on a queue
   * (which hands back the job's result, or enqueues a trial that never got there), reported
   * crashed on executors whose workers died with that driver.
   */
  const resume = (durable: DurableSweep): void => {
    for (const trial of durable.inFlight) {
      if (collects) submit(trial);
      else take(trial.crashed(new SweepDriverLostError(durable.name)));
    }
  };

  // A resumed sweep's pruner learns the curves of the trials earlier drivers finished.
  if (pruner) for (const report of sweep?.told ?? []) completeForPruner(pruner, report);
  const collects = sweep?.collectsOn(scheduler.executor) ?? false;
  const off: (() => void)[] = [];
  off.push(
    scheduler.on("onStart", () => {
      if (sweep) resume(sweep);
      askAndSubmit(parts.workers - ours.size);
      finishIfDone();
    }),
  );
  off.push(
    task.on("onReport", (report) => {
      if (!ours.delete(report.name)) return; // the task may also run trials of its own
      take(report);
      askAndSubmit(1);
      finishIfDone();
    }),
  );
  off.push(
    task.on("onCancelled", (trial) => {
      if (!ours.delete(trial.name)) return;
      pruner?.complete(trial.name, "unknown");
      // Its ask is journaled and later asks may follow it: it is told as failed (not kept in
      // this run's History, as cancelled trials are not), so a resumed sweep replays it.
      sweep
        ?.tell(trial.fail(new CancelledError("cancelled: the run ended before it finished")))
        .catch(fail);
      finishIfDone();
    }),
  );
  if (sweep) off.push(scheduler.on("onEmpty", finishIfDone));

  try {
    const exit = await scheduler.run({ ...run, endOnEmpty: !sweep });
    if (failure) throw failure.error;
    return exit.code === "STOPPED" && exit.message === SWEEP_DONE ? { code: "EXHAUSTED" } : exit;
  } finally {
    // Handlers persist across runs: remove ours so the scheduler and task can be reused.
    for (const f of off) f();
  }
}
