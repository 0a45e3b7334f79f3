/**
 * A durable sweep's journal, kept in a run store through the `Store` interface alone (so any
 * backend holds it): one record for the sweep (a run with jobType "sweep", its spec in the
 * config) and one run per asked trial (jobType "trial", group = the sweep, name = the trial,
 * config = its configuration), which also shows the sweep in the dashboard. The ask and tell
 * order lives in each trial run's summary (`_sweep.ask`, `_sweep.tell`: sequence numbers of
 * one counter), the report in `_sweep.report`.
 *
 * Writes go through one queue and are committed in the order they were made (several queued
 * writes commit as one transaction where the store has them), so what survives a crash is
 * always a prefix of what the driver did.
 *
 * @module
 */

import { hostname } from "node:os";
import { processStartToken } from "../../store/run-record.js";
import {
  type RunPatch,
  type RunRecord,
  type Store,
  type StoredValue,
  StoreError,
  type StoreTransaction,
} from "../../store/types.js";
import { isPruned } from "../../trial/pruning.js";
import type { TrialReport, TrialReportJSON, TrialStatus } from "../../trial/report.js";
import { TrialReport as Report } from "../../trial/report.js";
import type { Trial } from "../../trial/trial.js";
import { SweepBusyError } from "./errors.js";
import { closeOnTermination } from "./signal-close.js";
import { checkSameSpec, type SweepSpec } from "./spec.js";

/** A heartbeat older than this, from another host, means the driver is gone (as the store reaps). */
const STALE_AFTER_MS = 30_000;
/** Runs read per page when loading a journal. */
const PAGE = 5000;

/**
 * One journaled trial: asked at `ask`, told at `tell` (absent while in flight).
 *
 * @example
 * ```ts
 * const t: JournaledTrial = { name: "trial-0001", config: { x: 1 }, seed: 7, ask: 0 };
 * ```
 */
export interface JournaledTrial {
  name: string;
  config: Record<string, unknown>;
  seed: number | null;
  ask: number;
  tell?: number;
  report?: TrialReport;
}

/** The `_sweep` entry of a trial run's summary. */
interface SweepMark {
  ask: number;
  seed: number | null;
  tell?: number;
  report?: string;
}

/** The run id of the sweep's record (names are `[A-Za-z0-9_-]`, so ids never collide). */
export function sweepRunId(name: string): string {
  return `sweep.${name}`;
}

/** The run id of one of its trials, which is also the trial's job id on a queue executor. */
export function trialRunId(sweep: string, trial: string): string {
  return `sweep.${sweep}.${trial}`;
}

type Writer = Pick<StoreTransaction, "createRun" | "updateRun">;

interface Op {
  write(w: Writer): Promise<void>;
  /** A write the transaction interface lacks (deleting a run): committed on its own. */
  alone?: (store: Store) => Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

const RUN_STATE: Record<TrialStatus, "finished" | "failed" | "crashed"> = {
  success: "finished",
  fail: "failed",
  crashed: "crashed",
  unknown: "failed",
};

/**
 * The journal of one sweep in one store.
 *
 * @example
 * ```ts
 * const journal = await SweepJournal.open(store, { name: "s1", project: "s1", spec });
 * const trials = await journal.load();
 * await journal.ask(trial, 0);
 * await journal.tell(report, 1);
 * await journal.close("finished", { asked: 1 });
 * ```
 */
export class SweepJournal {
  readonly #store: Store;
  readonly #name: string;
  readonly #project: string;
  readonly #owner = {
    pid: process.pid,
    host: hostname(),
    ownerStart: processStartToken(process.pid),
  };
  readonly #marks = new Map<string, SweepMark>();
  #queue: Op[] = [];
  #draining: Promise<void> | undefined;
  #broken: unknown;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Unregisters the close of the sweep's record on a termination signal. */
  #stopSignalClose: () => void = () => {};

  private constructor(store: Store, name: string, project: string) {
    this.#store = store;
    this.#name = name;
    this.#project = project;
  }

  /**
   * Takes the sweep for this process: creates its record, or checks the stored spec against
   * `spec` and that no live driver holds it, then marks it running with this process as owner.
   */
  static async open(
    store: Store,
    sweep: { name: string; project: string; spec: SweepSpec },
  ): Promise<SweepJournal> {
    const journal = new SweepJournal(store, sweep.name, sweep.project);
    await journal.#take(sweep.spec);
    journal.#heartbeat = setInterval(() => journal.#beat(), STALE_AFTER_MS / 3);
    journal.#heartbeat.unref();
    journal.#stopSignalClose = closeOnTermination(store, sweepRunId(sweep.name));
    return journal;
  }

  async #take(spec: SweepSpec): Promise<void> {
    const id = sweepRunId(this.#name);
    // getRun marks a record whose owner died as crashed first.
    let existing = await this.#store.getRun(id);
    if (!existing) {
      try {
        await this.#store.createRun({
          id,
          project: this.#project,
          group: this.#name,
          jobType: "sweep",
          name: this.#name,
          config: { spec },
          createdAt: Date.now(),
          ...this.#owner,
        });
        return;
      } catch (e) {
        if (!(e instanceof StoreError && e.code === "duplicate")) throw e;
        existing = await this.#store.getRun(id); // another driver created it meanwhile
        if (!existing) throw e;
      }
    }
    checkSameSpec(this.#name, existing.config.spec, spec);
    const takeOver = async (w: Pick<StoreTransaction, "getRun" | "updateRun">) => {
      const now = (await w.getRun(id)) ?? existing;
      this.#refuseLiveDriver(now);
      await w.updateRun(id, {
        state: "running",
        exitCode: null,
        finishedAt: null,
        heartbeatAt: Date.now(),
        ...this.#owner,
      });
    };
    if (this.#store.transaction) await this.#store.transaction(takeOver);
    else await takeOver(this.#store);
  }

  #refuseLiveDriver(rec: RunRecord): void {
    if (rec.state !== "running") return;
    // On this host the store has already judged the owner (a dead one is marked crashed);
    // elsewhere only its heartbeat says it lives.
    const live = rec.host === this.#owner.host || Date.now() - rec.heartbeatAt < STALE_AFTER_MS;
    if (live)
      throw new SweepBusyError(
        `sweep "${this.#name}" is driven by process ${rec.pid} on ${rec.host} ` +
          `(heartbeat ${new Date(rec.heartbeatAt).toISOString()}); stop it first`,
      );
  }

  /** Every journaled trial, in ask order. */
  async load(): Promise<JournaledTrial[]> {
    const out: JournaledTrial[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const { runs } = await this.#store.listRuns({
        project: this.#project,
        group: this.#name,
        sort: "id",
        limit: PAGE,
        offset,
      });
      for (const run of runs) {
        const trial = this.#parse(run);
        if (trial) out.push(trial);
      }
      if (runs.length < PAGE) break;
    }
    return out.sort((a, b) => a.ask - b.ask);
  }

  #parse(run: RunRecord): JournaledTrial | undefined {
    if (run.jobType !== "trial" || run.id !== trialRunId(this.#name, run.name)) return undefined;
    const mark = run.summary._sweep as unknown as SweepMark | undefined;
    if (!mark || typeof mark.ask !== "number") return undefined;
    this.#marks.set(run.name, { ask: mark.ask, seed: mark.seed ?? null });
    const trial: JournaledTrial = {
      name: run.name,
      config: run.config,
      seed: mark.seed ?? null,
      ask: mark.ask,
    };
    if (typeof mark.tell === "number" && typeof mark.report === "string") {
      const json = JSON.parse(mark.report) as TrialReportJSON;
      trial.tell = mark.tell;
      trial.report = Report.fromJSON({ ...json, config: run.config });
      this.#marks.set(run.name, { ...mark });
    }
    return trial;
  }

  /** Journals an asked trial; resolves once committed (and every earlier write with it). */
  ask(trial: Trial, seq: number): Promise<void> {
    const mark: SweepMark = { ask: seq, seed: trial.seed ?? null };
    this.#marks.set(trial.name, mark);
    const id = trialRunId(this.#name, trial.name);
    return this.#enqueue(async (w) => {
      await w.createRun({
        id,
        project: this.#project,
        group: this.#name,
        jobType: "trial",
        name: trial.name,
        config: { ...trial.config },
        createdAt: Date.now(),
        ...this.#owner,
      });
      await w.updateRun(id, { summary: { _sweep: { ...mark } } });
    });
  }

  /** Journals a trial's report: its run ends in the state the report says. */
  tell(report: TrialReport, seq: number): Promise<void> {
    const asked = this.#marks.get(report.name);
    if (!asked)
      return Promise.reject(
        new StoreError(`sweep "${this.#name}" never asked a trial "${report.name}"`, "not_found"),
      );
    const json = report.toJSON();
    const mark: SweepMark = {
      ...asked,
      tell: seq,
      report: JSON.stringify({ ...json, config: {} }),
    };
    this.#marks.set(report.name, mark);
    const summary: Record<string, StoredValue> = { ...report.values, _sweep: { ...mark } };
    // A pruned trial's run is `pruned` (exit 0), as the W&B plugin closes it; its report stays a fail.
    const pruned = isPruned(report);
    const patch: RunPatch = {
      state: pruned ? "pruned" : RUN_STATE[report.status],
      exitCode: report.status === "success" || pruned ? 0 : 1,
      finishedAt: report.reportedAt,
      summary,
    };
    const id = trialRunId(this.#name, report.name);
    return this.#enqueue((w) => w.updateRun(id, patch));
  }

  /**
   * Takes back an ask that never ran (the run ended before it could be submitted): its run is
   * deleted, after every write before it.
   */
  abandon(trialName: string): Promise<void> {
    this.#marks.delete(trialName);
    const id = trialRunId(this.#name, trialName);
    return this.#enqueue(
      async () => {},
      (store) => store.deleteRun(id),
    );
  }

  /** Resolves once every queued write is committed. */
  async drain(): Promise<void> {
    while (this.#draining) await this.#draining;
    if (this.#broken) throw this.#broken;
  }

  /** Drains, then marks the sweep's record `state` with `summary`; stops the heartbeat. */
  async close(state: "finished" | "failed", summary: Record<string, StoredValue>): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#stopSignalClose();
    try {
      await this.drain();
    } finally {
      await this.#store.updateRun(sweepRunId(this.#name), {
        state,
        exitCode: state === "finished" ? 0 : 1,
        finishedAt: Date.now(),
        summary,
      });
    }
  }

  /** Keeps the sweep's and its running trials' heartbeats fresh, so no reaper takes them. */
  #beat(): void {
    const now = Date.now();
    const ids = [sweepRunId(this.#name)];
    for (const [name, mark] of this.#marks)
      if (mark.tell === undefined) ids.push(trialRunId(this.#name, name));
    this.#enqueue(async (w) => {
      for (const id of ids) await w.updateRun(id, { heartbeatAt: now });
    }).catch(() => {}); // a failed write breaks the journal; the next ask or tell says so
  }

  #enqueue(
    write: (w: Writer) => Promise<void>,
    alone?: (store: Store) => Promise<void>,
  ): Promise<void> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ write, alone, resolve, reject });
      this.#kick();
    });
  }

  /** Starts draining unless a drain runs; one that ends with writes queued starts again. */
  #kick(): void {
    if (this.#draining) return;
    this.#draining = this.#drainQueue().finally(() => {
      this.#draining = undefined;
      // A write queued after the loop's last look (by a handler of its last resolved write)
      // but before this ran would otherwise wait for the next write.
      if (this.#queue.length > 0) this.#kick();
    });
  }

  /** Commits queued writes in order, runs of them as one transaction where the store has them. */
  async #drainQueue(): Promise<void> {
    while (this.#queue.length > 0 && !this.#broken) {
      // A lone write goes by itself; otherwise every write up to the next lone one.
      const next = this.#queue.findIndex((op) => op.alone !== undefined);
      const batch = this.#queue.splice(0, next === 0 ? 1 : next === -1 ? this.#queue.length : next);
      try {
        const first = batch[0];
        if (first?.alone) await first.alone(this.#store);
        else await this.#commit(batch);
        for (const op of batch) op.resolve();
      } catch (e) {
        // Nothing after a failed write may commit, or the journal would have a hole.
        this.#broken = e;
        for (const op of [...batch, ...this.#queue]) op.reject(e);
        this.#queue = [];
      }
    }
  }

  async #commit(batch: readonly Op[]): Promise<void> {
    const apply = async (w: Writer) => {
      for (const op of batch) await op.write(w);
    };
    if (this.#store.transaction) await this.#store.transaction(apply);
    else await apply(this.#store as unknown as Writer);
  }
}
