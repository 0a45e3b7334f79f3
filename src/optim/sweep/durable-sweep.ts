/**
 * `DurableSweep`: an optimizer whose asks and tells are journaled in a run store, so that a
 * driver that dies can be started again with the same sweep name and carry on: the optimizer
 * is rebuilt by replaying the journal (the same asks and tells in the same order, so its
 * random state, NSGA-II's generation and population, TPE's pending trials all come back), and
 * the trials asked but never told are handed back to be collected or reported crashed.
 *
 * @module
 */

import type { Executor, Future } from "../../scheduling/executors/executor.js";
import type { Store } from "../../store/types.js";
import type { TrialReport } from "../../trial/report.js";
import type { Trial } from "../../trial/trial.js";
import type { TrialTask } from "../../trial/trial-task.js";
import { configKey } from "../space/key.js";
import type { Config, Optimizer } from "../types.js";
import { SweepOptionError, SweepReplayError } from "./errors.js";
import { acknowledgeJob, resumesJobs, useJobIds, withJobId } from "./job-ids.js";
import { type JournaledTrial, SweepJournal, trialRunId } from "./journal.js";
import { specOf } from "./spec.js";

/** Sweep names become run ids and job ids: kept to characters every backend and queue takes. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Trial names too (BaseOptimizer names them `<prefix><number>`). */
const TRIAL_NAME = /^[A-Za-z0-9_.-]{1,56}$/;

/**
 * Where a sweep is journaled: a name, unique per store, and the run store.
 *
 * @example
 * ```ts
 * const sweep: SweepOptions = { name: "mnist-tpe", store: await SqliteStore.open("./runs") };
 * await optimize({ fn, optimizer, maxTrials: 100, sweep });
 * ```
 */
export interface SweepOptions {
  /** The sweep's name, `[A-Za-z0-9_-]{1,64}`: starting again with the same name resumes it. */
  name: string;
  /**
   * The run store that keeps the journal: a `Store`, or where one is: a run folder (the
   * embedded SQLite store) or a `postgres://` URL, opened for the sweep and closed after it.
   */
  store: Store | string;
  /**
   * The project its runs are listed under (one run per trial, plus the sweep's own record).
   * @defaultValue the sweep's name
   */
  project?: string;
}

/**
 * An optimizer behind a journal. {@link DurableSweep.ask} resolves once the ask is committed,
 * so a trial is never evaluated without a record of it; {@link DurableSweep.tell} tells the
 * optimizer at once and commits in order. Opening a sweep that exists replays its journal.
 *
 * @example
 * ```ts
 * // With a Trial.Task on a scheduler (any executor; on the queue, in-flight trials are collected):
 * const sweep = await DurableSweep.open({ name: "s2", store: "./runs" }, optimizer);
 * const task = new Trial.Task(evaluate, scheduler);
 * const next = async () => {
 *   const trial = sweep.asked < 100 ? await sweep.ask() : undefined;
 *   if (trial) sweep.submit(task, trial);
 * };
 * task.on("onReport", (report) => void sweep.tell(report).then(next));
 * scheduler.on("onStart", () => {
 *   for (const trial of sweep.inFlight) {
 *     if (sweep.collectsOn(scheduler.executor)) sweep.submit(task, trial);
 *     else void sweep.tell(trial.crashed("its driver died")).then(next);
 *   }
 *   void next();
 * });
 * await scheduler.run({ endOnEmpty: false }); // call scheduler.stop() when done
 * await sweep.close();
 *
 * // Or by hand:
 * const store = await SqliteStore.open("./runs");
 * const sweep = await DurableSweep.open(
 *   { name: "s1", store },
 *   new RandomSearch({ space: s, metrics: loss, seed: 1 }),
 * );
 * for (const trial of sweep.inFlight) await sweep.tell(trial.crashed("driver died")); // or collect them
 * while (sweep.asked < 20) {
 *   const trial = await sweep.ask();
 *   if (!trial) break; // the optimizer ran out
 *   await sweep.tell(trial.success({ loss: f(trial.config) }));
 * }
 * await sweep.close();
 * ```
 */
export class DurableSweep {
  readonly name: string;
  readonly optimizer: Optimizer;
  /** Every report told, by earlier drivers too, in the order they were told. */
  readonly told: TrialReport[] = [];
  /** Trials an earlier driver asked and no one told: to collect (queue) or report crashed. */
  readonly inFlight: Trial[];
  readonly #journal: SweepJournal;
  /** Set when the sweep opened the store itself (from a path or URL): closed with it. */
  #ownStore: Store | undefined;
  #asked: number;
  #seq: number;
  /** The executor each submitted, untold trial runs on: told, its job is acknowledged there. */
  readonly #executors = new Map<string, Executor>();
  /** Acknowledgements on their way (a tell's, after its commit): close waits for them. */
  readonly #acks = new Set<Promise<void>>();

  private constructor(
    name: string,
    optimizer: Optimizer,
    journal: SweepJournal,
    replayed: Replayed,
  ) {
    this.name = name;
    this.optimizer = optimizer;
    this.#journal = journal;
    this.told.push(...replayed.told);
    this.inFlight = replayed.inFlight;
    this.#asked = replayed.asked;
    this.#seq = replayed.nextSeq;
  }

  /**
   * Opens the sweep called `options.name` in `options.store` with a freshly built `optimizer`
   * (the same class, seed, options, space and metrics as when it started; anything else is a
   * `SweepMismatchError` naming the difference). An existing sweep's journal is replayed into
   * the optimizer; a sweep a live driver holds is a `SweepBusyError`.
   */
  static async open(options: SweepOptions, optimizer: Optimizer): Promise<DurableSweep> {
    const { name } = checkOptions(options);
    const own = typeof options.store === "string" ? await openByName(options.store) : undefined;
    const store = own ?? (options.store as Store);
    let journal: SweepJournal | undefined;
    try {
      journal = await SweepJournal.open(store, {
        name,
        project: options.project ?? name,
        spec: specOf(optimizer),
      });
      const replayed = replay(name, optimizer, await journal.load());
      const sweep = new DurableSweep(name, optimizer, journal, replayed);
      sweep.#ownStore = own;
      return sweep;
    } catch (e) {
      await journal?.close("failed", {}).catch(() => {});
      await own?.close();
      throw e;
    }
  }

  /** Trials asked so far, by every driver of the sweep. */
  get asked(): number {
    return this.#asked;
  }

  /**
   * The queue job id of a trial: the sweep and trial names, so a driver that resubmits it
   * reaches the job an earlier driver enqueued instead of running it twice.
   */
  jobId(trialName: string): string {
    return trialRunId(this.name, trialName);
  }

  /**
   * Asks the optimizer for one trial and resolves with it once the ask is committed (after
   * every earlier tell). `undefined`: the optimizer has nothing left to propose.
   */
  async ask(): Promise<Trial | undefined> {
    const [trial] = this.optimizer.ask(1);
    if (!trial) return undefined;
    checkTrialName(trial.name);
    this.#asked++;
    await this.#journal.ask(trial, this.#seq++);
    return trial;
  }

  /**
   * Submits `trial` (one this sweep asked) to `task` with its job id on the call, so a queue
   * executor never runs it twice, also when a later driver submits it again, and keeps its
   * result until {@link DurableSweep.tell} committed the report (a driver that dies in between
   * leaves the result for the next one to collect). `undefined`: a plugin vetoed it (then
   * {@link DurableSweep.abandon} it).
   */
  submit<C extends Record<string, unknown>>(
    task: TrialTask<C>,
    trial: Trial<C>,
  ): Future<unknown> | undefined {
    const off = useJobIds(task.task);
    try {
      const future = withJobId(this.jobId(trial.name), () => task.submit(trial));
      if (future) this.#executors.set(trial.name, task.scheduler.executor);
      return future;
    } finally {
      off();
    }
  }

  /**
   * Whether the trials in {@link DurableSweep.inFlight} can be collected on `executor` (it
   * keeps jobs beyond their driver: submit them again) or died with the earlier driver (tell
   * them crashed).
   */
  collectsOn(executor: Executor): boolean {
    return resumesJobs(executor);
  }

  /**
   * Tells the optimizer now; resolves once the report is committed. Then, and only then, the
   * executor may drop the trial's job (see {@link DurableSweep.submit}).
   */
  async tell(report: TrialReport): Promise<void> {
    this.optimizer.tell(report);
    this.told.push(report);
    await this.#journal.tell(report, this.#seq++);
    const executor = this.#executors.get(report.name);
    if (executor) {
      this.#executors.delete(report.name);
      const ack = acknowledgeJob(executor, this.jobId(report.name)).catch(() => {});
      this.#acks.add(ack);
      void ack.finally(() => this.#acks.delete(ack));
    }
  }

  /** Takes back an asked trial that never ran (the run ended first): it was never asked. */
  abandon(trial: Trial): Promise<void> {
    this.#asked--;
    return this.#journal.abandon(trial.name);
  }

  /** Commits what is queued and marks the sweep's record finished (or failed). */
  async close(state: "finished" | "failed" = "finished"): Promise<void> {
    const count = (s: TrialReport["status"]) => this.told.filter((r) => r.status === s).length;
    try {
      await this.#journal.close(state, {
        asked: this.#asked,
        told: this.told.length,
        success: count("success"),
        failed: count("fail"),
        crashed: count("crashed"),
      });
    } finally {
      await Promise.all(this.#acks);
      await this.#ownStore?.close();
    }
  }
}

interface Replayed {
  told: TrialReport[];
  inFlight: Trial[];
  asked: number;
  nextSeq: number;
}

/**
 * Feeds the optimizer the journal's asks and tells in their order, checking that each ask
 * gives the journaled trial.
 */
function replay(sweep: string, optimizer: Optimizer, journal: JournaledTrial[]): Replayed {
  type Step = { seq: number; trial: JournaledTrial; kind: "ask" | "tell" };
  const steps: Step[] = [];
  for (const trial of journal) {
    steps.push({ seq: trial.ask, trial, kind: "ask" });
    if (trial.tell !== undefined) steps.push({ seq: trial.tell, trial, kind: "tell" });
  }
  steps.sort((a, b) => a.seq - b.seq);
  const asked = new Map<string, Trial>();
  const told: TrialReport[] = [];
  for (const step of steps) {
    if (step.kind === "ask") asked.set(step.trial.name, replayAsk(sweep, optimizer, step));
    else {
      const report = step.trial.report as TrialReport;
      optimizer.tell(report);
      told.push(report);
    }
  }
  const inFlight = journal
    .filter((t) => t.tell === undefined)
    .map((t) => asked.get(t.name) as Trial);
  const last = steps.at(-1)?.seq ?? -1;
  return { told, inFlight, asked: journal.length, nextSeq: last + 1 };
}

function replayAsk(
  sweep: string,
  optimizer: Optimizer,
  step: { seq: number; trial: JournaledTrial },
): Trial {
  const [trial] = optimizer.ask(1);
  const want = step.trial;
  const same =
    trial !== undefined &&
    trial.name === want.name &&
    configKey(trial.config as Config) === configKey(want.config as Config);
  if (!same) {
    const got = trial ? `${trial.name} ${JSON.stringify(trial.config)}` : "no trial";
    throw new SweepReplayError(
      `sweep "${sweep}": replaying ask ${step.seq}, the optimizer gave ${got}, the journal ` +
        `holds ${want.name} ${JSON.stringify(want.config)} (is the optimizer deterministic ` +
        "given its seed, and its code unchanged?)",
    );
  }
  return trial;
}

/** Opens a run folder or PostgreSQL URL (loaded only then: `amltk` alone needs no driver). */
async function openByName(target: string): Promise<Store> {
  const { openStore } = await import("../../store/open-store.js");
  return openStore(target);
}

function checkOptions(options: SweepOptions): SweepOptions {
  if (!options || typeof options !== "object")
    throw new SweepOptionError("expected { name, store }");
  if (typeof options.name !== "string" || !NAME.test(options.name))
    throw new SweepOptionError(
      `\`name\` must match [A-Za-z0-9_-]{1,64}, got ${JSON.stringify(options.name)}`,
      "name",
    );
  const store = options.store as Partial<Store> | string | undefined;
  const isStore =
    typeof store === "object" &&
    store !== null &&
    typeof store.createRun === "function" &&
    typeof store.listRuns === "function";
  if (!isStore && !(typeof store === "string" && store.length > 0))
    throw new SweepOptionError(
      "`store` must be a run Store, a run folder or a postgres:// URL, got " +
        (typeof store === "string" ? '""' : String(store)),
      "store",
    );
  if (options.project !== undefined && (typeof options.project !== "string" || !options.project))
    throw new SweepOptionError(
      `\`project\` must be a non-empty string, got ${JSON.stringify(options.project)}`,
      "project",
    );
  return options;
}

function checkTrialName(name: string): void {
  if (!TRIAL_NAME.test(name))
    throw new SweepOptionError(
      `a durable sweep's trial names must match [A-Za-z0-9_.-]{1,56} (they become run ids), ` +
        `got ${JSON.stringify(name)}: give the optimizer another \`prefix\``,
      "prefix",
    );
}
