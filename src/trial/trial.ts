/**
 * `Trial`: one evaluation of a configuration, and how it reports its outcome.
 *
 * @module
 */

import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Metric, type MetricJSON } from "./metric.js";
import { type Profile, profile } from "./profile.js";
import { askShouldPrune, reportIntermediate } from "./pruning.js";
import { TrialReport, type TrialStatus } from "./report.js";
import { TrialTask } from "./trial-task.js";

/**
 * Plain-data form of a {@link Trial}, from {@link Trial.toJSON}.
 *
 * @example
 * ```ts
 * const json: TrialJSON = trial.toJSON();
 * const copy = Trial.fromJSON(JSON.parse(JSON.stringify(json)));
 * ```
 */
export interface TrialJSON {
  name: string;
  config: Record<string, unknown>;
  seed: number | null;
  fidelities: Record<string, unknown>;
  metrics: MetricJSON[];
  summary: Record<string, unknown>;
  createdAt: number;
  storage: string;
}

/**
 * Options for {@link Trial}.
 *
 * @example
 * ```ts
 * const options: TrialOptions<{ lr: number }> = {
 *   name: "t1",
 *   config: { lr: 0.01 },
 *   seed: 42,
 *   fidelities: { epochs: 10 },
 *   metrics: [new Metric("loss")],
 * };
 * const trial = new Trial(options);
 * ```
 */
export interface TrialOptions<C extends Record<string, unknown> = Record<string, unknown>> {
  /** Unique name of the trial. */
  name: string;
  /** The configuration to evaluate. */
  config: C;
  seed?: number;
  /** Fidelities (budgets) to evaluate at, e.g. `{ epochs: 10 }`. */
  fidelities?: Record<string, unknown>;
  /** Metrics the trial must report on success. */
  metrics?: Metric[] | Record<string, Metric>;
  /** Base folder under which the trial's storage folder lives (default: `<tmpdir>/amltk-trials`). */
  storageDir?: string;
}

let defaultStorageDir: string | undefined;

/**
 * `<tmpdir>/amltk-trials`, read once per process: `os.tmpdir()` reads the environment on every
 * call, and a worker creates a trial per task. A TMPDIR changed while the process runs does not
 * move the trials' folders (as the temporary folder of a running program seldom moves).
 */
function storageBase(): string {
  defaultStorageDir ??= join(tmpdir(), "amltk-trials");
  return defaultStorageDir;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_") || "_";
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * One evaluation of a configuration.
 *
 * @example
 * ```ts
 * const trial = new Trial({
 *   name: "t1",
 *   config: { lr: 0.01 },
 *   metrics: [new Metric("acc", { minimize: false, bounds: [0, 1] })],
 * });
 * await trial.begin(async () => {
 *   trial.summary.epochs = 3;
 * });
 * const report = trial.exception ? trial.fail() : trial.success({ acc: 0.93 });
 * ```
 */
export class Trial<C extends Record<string, unknown> = Record<string, unknown>> {
  /** `Trial.Report` is {@link TrialReport}. */
  static readonly Report = TrialReport;
  /** `Trial.Task` is {@link TrialTask}. */
  static readonly Task = TrialTask;

  readonly name: string;
  readonly config: C;
  readonly seed: number | undefined;
  readonly fidelities: Record<string, unknown>;
  /** Declared metrics, by name. */
  readonly metrics: Readonly<Record<string, Metric>>;
  /** Free-form results to keep alongside the metric values. */
  summary: Record<string, unknown> = {};
  /** Where plugins attach their per-trial objects, e.g. `trial.plugins.wandb`. */
  plugins: Record<string, unknown> = {};
  /** Profiles of blocks run with {@link Trial.begin} or {@link Trial.profile}. */
  readonly profiles: Record<string, Profile> = {};
  /** When the trial was created, ms since the epoch. */
  readonly createdAt: number = Date.now();
  /** The per-trial folder; created on first {@link Trial.storagePath} call. */
  readonly storage: string;
  /** The error captured by {@link Trial.begin}, if any. */
  exception: Error | undefined;
  /** The stack of {@link Trial.exception}. */
  traceback: string | undefined;

  constructor(options: TrialOptions<C>) {
    if (typeof options?.name !== "string" || options.name.length === 0) {
      throw new TypeError("Trial: `name` must be a non-empty string");
    }
    this.name = options.name;
    this.config = options.config;
    this.seed = options.seed;
    this.fidelities = { ...(options.fidelities ?? {}) };
    const metrics: Record<string, Metric> = {};
    const list = Array.isArray(options.metrics)
      ? options.metrics
      : Object.values(options.metrics ?? {});
    for (const m of list) {
      if (metrics[m.name])
        throw new Error(`Trial "${this.name}": metric "${m.name}" declared twice`);
      metrics[m.name] = m;
    }
    this.metrics = metrics;
    this.storage = join(options.storageDir ?? storageBase(), safeName(this.name));
  }

  /** Plain data for crossing process boundaries; see {@link Trial.fromJSON}. */
  toJSON(): TrialJSON {
    return {
      name: this.name,
      config: this.config,
      seed: this.seed ?? null,
      fidelities: this.fidelities,
      metrics: Object.values(this.metrics).map((m) => m.toJSON()),
      summary: this.summary,
      createdAt: this.createdAt,
      storage: this.storage,
    };
  }

  /** Rebuilds a trial from {@link Trial.toJSON}'s output. */
  static fromJSON<C extends Record<string, unknown> = Record<string, unknown>>(
    data: TrialJSON,
  ): Trial<C> {
    const t = new Trial<C>({
      name: data.name,
      config: data.config as C,
      seed: data.seed ?? undefined,
      fidelities: data.fidelities,
      metrics: (data.metrics ?? []).map((m) => Metric.fromJSON(m)),
    });
    t.summary = { ...(data.summary ?? {}) };
    const w = t as unknown as { createdAt: number; storage: string };
    if (typeof data.createdAt === "number") w.createdAt = data.createdAt;
    if (typeof data.storage === "string") w.storage = data.storage;
    return t;
  }

  /**
   * The trial's storage folder (or a path inside it), created if missing.
   *
   * @example
   * ```ts
   * writeFileSync(trial.storagePath("model.json"), json);
   * ```
   */
  storagePath(...parts: string[]): string {
    mkdirSync(this.storage, { recursive: true });
    return join(this.storage, ...parts);
  }

  /** Runs `fn`, recording its wall time, CPU time and memory under `name`. Errors propagate. */
  profile<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    return profile(fn, (p) => {
      this.profiles[name] = p;
    });
  }

  /**
   * Runs the trial's body, profiled as `"trial"`. An error thrown in it is stored in
   * {@link Trial.exception} and {@link Trial.traceback} instead of propagating.
   *
   * @returns what `fn` returned, or `undefined` if it threw.
   */
  async begin<T>(fn: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await this.profile("trial", fn);
    } catch (error) {
      const e = toError(error);
      this.exception = e;
      this.traceback = e.stack ?? String(e);
      return undefined;
    }
  }

  private checkValues(values: Record<string, number>, requireAll: boolean): void {
    const declared = Object.keys(this.metrics);
    const given = Object.keys(values);
    const bad = given.filter((k) => typeof values[k] !== "number");
    if (bad.length > 0) {
      throw new TypeError(`Trial "${this.name}": metric values must be numbers: ${bad.join(", ")}`);
    }
    if (declared.length === 0) return;
    const unknown = given.filter((k) => !(k in this.metrics));
    const missing = requireAll ? declared.filter((k) => !(k in values)) : [];
    if (unknown.length > 0 || missing.length > 0) {
      const parts: string[] = [];
      if (missing.length > 0) parts.push(`missing metric(s): ${missing.join(", ")}`);
      if (unknown.length > 0) parts.push(`unknown metric(s): ${unknown.join(", ")}`);
      throw new Error(
        `Trial "${this.name}": ${parts.join("; ")} (declared: ${declared.join(", ")})`,
      );
    }
  }

  private makeReport(
    status: TrialStatus,
    values: Record<string, number>,
    error: Error | undefined,
  ): TrialReport {
    return new TrialReport({
      name: this.name,
      status,
      seed: this.seed ?? null,
      values,
      metrics: Object.values(this.metrics),
      exception: error ? error.message || String(error) : null,
      traceback: error ? (error === this.exception ? this.traceback : error.stack) : null,
      createdAt: this.createdAt,
      summary: this.summary,
      profiles: this.profiles,
      config: this.config,
      fidelities: this.fidelities,
    });
  }

  private withWorst(values: Record<string, number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of Object.values(this.metrics)) out[m.name] = m.worst;
    return { ...out, ...values };
  }

  /**
   * Records an intermediate value at `step` (an integer >= 0, e.g. the epoch): kept on the
   * trial and in its report's `summary.intermediate`, and forwarded to the pruner if one is
   * attached (see `src/trial/pruning.ts`). A step reported again keeps its first value.
   *
   * @example
   * ```ts
   * for (let epoch = 0; epoch < 20; epoch++) {
   *   trial.report(epoch, await trainOneEpoch());
   *   if (await trial.shouldPrune()) return trial.fail(new Pruned(epoch));
   * }
   * ```
   */
  report(step: number, value: number): void {
    reportIntermediate(this as Trial, step, value);
  }

  /**
   * Whether the pruner wants this trial stopped now, judging from the values reported so
   * far: asked directly in-process, through Comm from worker threads/processes; `false` when
   * no pruner is attached. Stop with `return trial.fail(new Pruned(step))`.
   *
   * @example
   * ```ts
   * trial.report(epoch, loss);
   * if (await trial.shouldPrune()) return trial.fail(new Pruned(epoch));
   * ```
   */
  shouldPrune(): Promise<boolean> {
    return askShouldPrune(this as Trial);
  }

  /**
   * Reports success. Every declared metric must be given and no undeclared one; with no
   * metrics declared, any numeric values are accepted.
   */
  success(values: Record<string, number> = {}): TrialReport {
    this.checkValues(values, true);
    return this.makeReport("success", { ...values }, undefined);
  }

  /**
   * Reports failure, with `error` (default: {@link Trial.exception}) and whatever metric
   * values are known; missing declared metrics get their worst value.
   */
  fail(error?: unknown, values: Record<string, number> = {}): TrialReport {
    this.checkValues(values, false);
    const e = error === undefined ? this.exception : toError(error);
    return this.makeReport("fail", this.withWorst(values), e);
  }

  /**
   * Reports a crash (the evaluation itself broke), with `error` (default:
   * {@link Trial.exception}); every declared metric gets its worst value.
   */
  crashed(error?: unknown): TrialReport {
    const e = error === undefined ? this.exception : toError(error);
    return this.makeReport("crashed", this.withWorst({}), e);
  }
}

/** Types reachable through `Trial`, e.g. `Promise<Trial.Report>`. */
export declare namespace Trial {
  /** A trial's report: see {@link TrialReport}. */
  type Report = TrialReport;
  /** A trial's status. */
  type Status = TrialStatus;
  /** A task running trials: see {@link TrialTask}. */
  type Task<C extends Record<string, unknown> = Record<string, unknown>> = TrialTask<C>;
}
