/**
 * One W&B run being imported: its parts' records applied in order to a store writer (a
 * transaction where the store has them). Rows the store would refuse are dropped and counted
 * here, so that one bad row never fails the run.
 *
 * @module
 */

import { wandbEndState } from "../protocol/wandb/run-state.js";
import type {
  ConsoleLine,
  HistoryRow,
  RunPatch,
  RunRecord,
  RunState,
  StoredValue,
  StoreTransaction,
  SystemSample,
} from "../store/types.js";
import { ConsoleAssembler } from "./console-lines.js";
import { itemsToValues } from "./history-values.js";
import { deletePath, setPath, unwrapConfig } from "./wandb-config.js";
import type { WandbItem, WandbRecord, WandbRunInfo } from "./wandb-records.js";

/** Rows (and samples, lines) written per store call: bounds memory on long runs. */
const BATCH = 2000;
/** Keys W&B adds to every summary; our summary holds only what the user logged or set. */
const SUMMARY_INTERNAL = new Set(["_wandb", "_runtime", "_step", "_timestamp"]);
/** The store's longest key (store/sqlite/stored-values.ts `checkKey`). */
const MAX_KEY_LENGTH = 512;

/** The writes an import needs: a `StoreTransaction`, or a `Store` itself. */
export type ImportWriter = Pick<
  StoreTransaction,
  "createRun" | "updateRun" | "appendHistory" | "appendSystem" | "appendConsole"
>;

/** What one import counted. */
export interface ImportCounts {
  steps: number;
  /** Rows dropped because their step was not above the previous one. */
  droppedSteps: number;
  /** Rows dropped because the store cannot hold them (a step above 2^53 - 1, a bad key). */
  droppedRows: number;
  systemSamples: number;
  consoleLines: number;
}

type HistoryRecord = Extract<WandbRecord, { kind: "history" }>;

export class RunImport {
  private info: WandbRunInfo | undefined;
  private readonly config: Record<string, unknown> = {};
  private readonly summary: Record<string, StoredValue> = {};
  private rows: HistoryRow[] = [];
  private samples: SystemSample[] = [];
  private lines: ConsoleLine[] = [];
  private readonly console = new ConsoleAssembler();
  private created = false;
  readonly counts: ImportCounts = {
    steps: 0,
    droppedSteps: 0,
    droppedRows: 0,
    systemSamples: 0,
    consoleLines: 0,
  };
  private lastStep = -1;
  private lastRuntime = 0;
  private lastTimestamp: number | undefined;
  private exit: { exitCode: number; runtime?: number } | undefined;
  /** Per part: steps and runtime added to a resumed part that starts over (offline resume). */
  private part = { index: -1, stepOffset: 0, runtimeOffset: 0, decided: true };

  constructor(
    private readonly w: ImportWriter,
    readonly runId: string,
  ) {}

  /**
   * Continues `stored` (a run imported earlier) with later parts: their rows follow its last
   * row (`last`) as a resumed part's follow the earlier parts' in one import, and its name,
   * config and summary are the starting point that the new parts' records update.
   */
  resumeFrom(stored: RunRecord, last: HistoryRow | undefined): void {
    this.info = {
      id: stored.id,
      project: stored.project,
      entity: stored.entity ?? undefined,
      group: stored.group ?? undefined,
      jobType: stored.jobType ?? undefined,
      name: stored.name,
      notes: stored.notes ?? undefined,
      tags: stored.tags,
      host: stored.host ?? undefined,
      startTime: stored.createdAt,
      resumed: false,
      config: [],
      summary: [],
    };
    Object.assign(this.config, structuredClone(stored.config));
    Object.assign(this.summary, stored.summary);
    this.created = true;
    this.lastStep = stored.nextStep - 1;
    this.lastRuntime = last?.runtime ?? 0;
    this.lastTimestamp = last?.timestamp;
    this.part = { index: 0, stepOffset: 0, runtimeOffset: 0, decided: true };
  }

  /** Starts the next part (file) of the run. */
  startPart(): void {
    const first = this.part.index < 0;
    this.part = { index: this.part.index + 1, stepOffset: 0, runtimeOffset: 0, decided: first };
  }

  /** Whether anything of the run was read yet (a log damaged before that is no run). */
  get started(): boolean {
    return this.info !== undefined || this.created || this.rows.length > 0;
  }

  async apply(rec: WandbRecord): Promise<void> {
    switch (rec.kind) {
      case "run":
        this.applyRunInfo(rec.run);
        return this.ensureRun();
      case "config":
        this.applyConfig(rec.update);
        for (const p of rec.remove) deletePath(this.config, p);
        return;
      case "summary":
        this.applySummary(rec.update);
        for (const p of rec.remove) delete this.summary[p.join("/")];
        return;
      case "history":
        this.addHistory(rec);
        if (this.rows.length >= BATCH) await this.flush();
        return;
      case "stats":
        this.addSample(rec.timestamp, rec.items);
        if (this.samples.length >= BATCH) await this.flush();
        return;
      case "output":
        this.lines.push(...this.console.add(rec.stream, rec.timestamp, rec.text));
        if (this.lines.length >= BATCH) await this.flush();
        return;
      case "exit":
        this.exit = { exitCode: rec.exitCode, runtime: rec.runtime };
        return;
      default:
        return;
    }
  }

  /**
   * A later run record (a rename, new tags or notes mid-run, or a resumed part) replaces what
   * it sets; an empty field keeps the earlier value (a resumed part need not repeat the name).
   */
  private applyRunInfo(next: WandbRunInfo): void {
    const prev = this.info;
    this.info = prev
      ? {
          ...prev,
          ...Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)),
          tags: next.tags.length > 0 ? next.tags : prev.tags,
          startTime: prev.startTime ?? next.startTime,
        }
      : next;
    this.applyConfig(next.config);
    this.applySummary(next.summary);
  }

  private applyConfig(update: readonly WandbItem[]): void {
    for (const it of update) setPath(this.config, it.path, it.value);
  }

  private applySummary(update: readonly WandbItem[]): void {
    const values = itemsToValues(update.filter((it) => !SUMMARY_INTERNAL.has(it.path[0]!)));
    Object.assign(this.summary, values);
  }

  /**
   * Queues a history row. A step not above the previous one is dropped (and counted), as is a
   * row the store cannot hold. Missing `_timestamp`/`_runtime` are carried over from the
   * previous row or the run's start.
   */
  private addHistory(rec: HistoryRecord): void {
    const { _step, _runtime, _timestamp, ...values } = itemsToValues(rec.items);
    const raw = rec.step ?? (typeof _step === "number" ? _step : this.lastStep + 1);
    if (typeof raw !== "number" || !Number.isSafeInteger(raw) || raw < 0 || !keysFit(values)) {
      this.counts.droppedRows++;
      return;
    }
    this.decidePartOffsets(raw, typeof _runtime === "number" ? _runtime : undefined);
    const step = raw + this.part.stepOffset;
    if (step <= this.lastStep) {
      this.counts.droppedSteps++;
      return;
    }
    this.lastStep = step;
    const timestamp =
      typeof _timestamp === "number" ? _timestamp : (this.lastTimestamp ?? this.startMs() / 1000);
    this.lastTimestamp = timestamp;
    const runtime =
      (typeof _runtime === "number" ? _runtime : timestamp - this.startMs() / 1000) +
      this.part.runtimeOffset;
    this.lastRuntime = runtime;
    this.rows.push({ step, runtime, timestamp, values: values as Record<string, StoredValue> });
  }

  /**
   * A resumed part written offline starts over at step 0 (the client could not ask where the
   * run was). Its rows follow the earlier parts' instead of being dropped: steps and runtime
   * continue from where the previous part ended.
   */
  private decidePartOffsets(firstStep: number, firstRuntime: number | undefined): void {
    if (this.part.decided) return;
    this.part.decided = true;
    if (firstStep <= this.lastStep) this.part.stepOffset = this.lastStep + 1;
    if (firstRuntime !== undefined && firstRuntime < this.lastRuntime) {
      this.part.runtimeOffset = this.lastRuntime;
    }
  }

  /**
   * A StatsRecord as a system sample. Its keys (`cpu`, `proc.memory.rssMB`) get W&B's
   * `system.` prefix, as in W&B's events file and so as our server's W&B routes store them.
   */
  private addSample(timestamp: number, items: readonly WandbItem[]): void {
    const values: Record<string, number> = {};
    for (const { path, value } of items) {
      const key = `system.${path.join("/")}`;
      if (typeof value === "number" && key.length > 0 && key.length <= MAX_KEY_LENGTH) {
        values[key] = value;
      }
    }
    if (Object.keys(values).length > 0 && Number.isFinite(timestamp)) {
      this.samples.push({ timestamp, values });
    }
  }

  private startMs(): number {
    return this.info?.startTime ?? (this.rows[0] ? this.rows[0].timestamp * 1000 : Date.now());
  }

  /** Creates the run at its first run record (or first write, for a log damaged before it). */
  private async ensureRun(): Promise<void> {
    if (this.created) return;
    const info = this.info;
    await this.w.createRun({
      id: this.runId,
      project: info?.project ?? "uncategorized",
      entity: info?.entity ?? null,
      group: info?.group ?? null,
      jobType: info?.jobType ?? null,
      name: info?.name ?? this.runId,
      notes: info?.notes ?? null,
      tags: info?.tags ?? [],
      config: {},
      createdAt: this.startMs(),
      host: info?.host,
    });
    this.created = true;
  }

  /** Writes what is queued (creating the run first). */
  async flush(): Promise<void> {
    await this.ensureRun();
    if (this.rows.length > 0) await this.w.appendHistory(this.runId, this.rows);
    if (this.samples.length > 0) await this.w.appendSystem(this.runId, this.samples);
    if (this.lines.length > 0) await this.w.appendConsole(this.runId, this.lines);
    this.counts.steps += this.rows.length;
    this.counts.systemSamples += this.samples.length;
    this.counts.consoleLines += this.lines.length;
    this.rows = [];
    this.samples = [];
    this.lines = [];
  }

  /**
   * Writes the rest, then the run's last name, tags and notes, config, summary and end state:
   * finished or failed by the exit code read (0 with the tag "pruned": pruned), crashed when the
   * log ended without one; the end time is the exit's runtime or the last row's time.
   */
  async close(): Promise<RunState> {
    this.lines.push(...this.console.flush());
    await this.flush();
    delete this.config._wandb;
    const createdAt = this.startMs();
    const lastMs = this.lastTimestamp !== undefined ? this.lastTimestamp * 1000 : createdAt;
    const exit = this.exit;
    const state: RunState = wandbEndState(exit?.exitCode, this.info?.tags ?? []);
    const endMs = exit?.runtime ? Math.max(createdAt + exit.runtime * 1000, lastMs) : lastMs;
    const info = this.info;
    const patch: RunPatch = {
      config: unwrapConfig(this.config),
      summary: this.summary,
      state,
      exitCode: exit ? exit.exitCode : null,
      finishedAt: exit ? endMs : null,
      heartbeatAt: endMs,
      pid: null,
    };
    if (info) {
      Object.assign(patch, {
        name: info.name ?? this.runId,
        notes: info.notes ?? null,
        tags: info.tags,
        group: info.group ?? null,
        jobType: info.jobType ?? null,
      });
    }
    await this.w.updateRun(this.runId, patch);
    return state;
  }
}

function keysFit(values: Record<string, unknown>): boolean {
  for (const k in values) if (k.length === 0 || k.length > MAX_KEY_LENGTH) return false;
  return true;
}
