/**
 * `BaseOptimizer`: what every sampler shares — checking options, naming and seeding trials,
 * the `ask()`/`ask(n)` overload, and tracking which asked trials are still pending — so that a
 * sampler only decides which configurations come next.
 *
 * @module
 */

import { AmltkError } from "../shared/errors.js";
import { optionKeys } from "../shared/options.js";
import { Metric } from "../trial/metric.js";
import type { TrialReport } from "../trial/report.js";
import { Trial } from "../trial/trial.js";
import { lossesOf } from "./pareto.js";
import { Rng } from "./rng.js";
import { show } from "./space/errors.js";
import { SearchSpace } from "./space/search-space.js";
import { TellError } from "./tell-error.js";
import type { Config, Optimizer } from "./types.js";

/**
 * Options every optimizer takes.
 *
 * @example
 * ```ts
 * const opts: OptimizerOptions = { space: s, metrics: [new Metric("loss")], seed: 3, prefix: "rs-" };
 * ```
 */
export interface OptimizerOptions {
  /** The space to search. */
  space: SearchSpace;
  /** The metric(s) to optimize, each with its direction. */
  metrics: Metric | readonly Metric[];
  /**
   * Seed: the same seed and the same ask/tell sequence give the same trials.
   * @defaultValue 0
   */
  seed?: number;
  /**
   * Trial names are `<prefix><number>`, numbered from 1 and padded to 4 digits.
   * @defaultValue "trial-"
   */
  prefix?: string;
  /** Base folder of the trials' storage folders (see `TrialOptions.storageDir`). */
  storageDir?: string;
  /** Fidelities given to every trial, e.g. `{ epochs: 10 }`. */
  fidelities?: Record<string, unknown>;
}

/**
 * The defaults of {@link OptimizerOptions}, the ones the code uses.
 *
 * @example
 * ```ts
 * OPTIMIZER_DEFAULTS.prefix; // "trial-"
 * ```
 */
export const OPTIMIZER_DEFAULTS = Object.freeze({ seed: 0, prefix: "trial-" });

/**
 * The keys of {@link OptimizerOptions} (each `true`), to spread into a subclass's key list for
 * `optionKeys`, so that an optimizer refuses a key none of its options has.
 *
 * @example
 * ```ts
 * interface MyOptions extends OptimizerOptions { width?: number }
 * const MY_KEYS = optionKeys<MyOptions>({ ...OPTIMIZER_OPTION_FLAGS, width: true });
 * ```
 */
export const OPTIMIZER_OPTION_FLAGS = Object.freeze({
  space: true,
  metrics: true,
  seed: true,
  prefix: true,
  storageDir: true,
  fidelities: true,
} as const satisfies { readonly [K in keyof Required<OptimizerOptions>]: true });

/** The keys of {@link OptimizerOptions}. */
export const OPTIMIZER_OPTION_KEYS = optionKeys<OptimizerOptions>(OPTIMIZER_OPTION_FLAGS);

/**
 * An optimizer was asked for a trial it cannot give (e.g. a grid search with no points left).
 * Code `optimizer_exhausted`.
 *
 * @example
 * ```ts
 * try {
 *   grid.ask();
 * } catch (e) {
 *   if (e instanceof OptimizerExhaustedError) console.log("grid done");
 * }
 * ```
 */
export class OptimizerExhaustedError extends AmltkError<"optimizer_exhausted"> {
  override readonly name = "OptimizerExhaustedError";
  constructor(message: string) {
    super("optimizer_exhausted", message);
  }
}

/** A report by shape (a copy of the package elsewhere makes reports of another class). */
function isReport(x: unknown): x is TrialReport {
  if (typeof x !== "object" || x === null) return false;
  const r = x as Partial<TrialReport>;
  return (
    typeof r.name === "string" &&
    typeof r.status === "string" &&
    typeof r.values === "object" &&
    r.values !== null &&
    typeof r.config === "object" &&
    r.config !== null
  );
}

function checkMetrics(metrics: Metric | readonly Metric[], who: string): Metric[] {
  const list = metrics instanceof Metric ? [metrics] : Array.isArray(metrics) ? [...metrics] : [];
  if (list.length === 0) throw new TypeError(`${who}: \`metrics\` needs at least one Metric`);
  const names = new Set<string>();
  for (const m of list) {
    if (!(m instanceof Metric))
      throw new TypeError(`${who}: metrics must be Metric instances, got ${String(m)}`);
    if (names.has(m.name)) throw new TypeError(`${who}: metric "${m.name}" given twice`);
    names.add(m.name);
  }
  return list;
}

/** The JSON-safe form of an optimizer's options: functions by name, no space or metrics. */
function settingsOf(options: OptimizerOptions): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === "space" || key === "metrics" || value === undefined) continue;
    out[key] =
      typeof value === "function"
        ? `function ${value.name || "(anonymous)"}`
        : JSON.parse(JSON.stringify(value));
  }
  return Object.freeze(out);
}

/**
 * Base class of the optimizers: subclasses implement {@link BaseOptimizer.propose} (and may
 * override {@link BaseOptimizer.tell}, calling `super.tell`).
 *
 * @example
 * ```ts
 * class Fixed extends BaseOptimizer {
 *   protected propose(n: number): Config[] {
 *     return Array.from({ length: n }, () => this.space.defaults());
 *   }
 * }
 * const opt = new Fixed({ space: space({ x: float(0, 1) }), metrics: new Metric("loss") });
 * opt.ask().name; // "trial-0001"
 * ```
 */
export abstract class BaseOptimizer implements Optimizer {
  readonly space: SearchSpace;
  readonly metrics: readonly Metric[];
  readonly seed: number;
  /** The optimizer's random stream (configs); trial seeds come from a separate stream. */
  protected readonly rng: Rng;
  readonly #seeds: Rng;
  readonly #prefix: string;
  readonly #storageDir: string | undefined;
  readonly #fidelities: Record<string, unknown>;
  readonly #settings: Readonly<Record<string, unknown>>;
  #count = 0;
  /** Names of the trials told so far (a second report of one is refused). */
  readonly #told = new Set<string>();
  /** Asked trials whose report has not been told yet, by name. */
  protected readonly pending = new Map<string, Trial>();

  constructor(options: OptimizerOptions) {
    const who = new.target.name;
    if (!options || !(options.space instanceof SearchSpace))
      throw new TypeError(`${who}: \`space\` must be a SearchSpace (build one with space({...}))`);
    const seed = options.seed ?? OPTIMIZER_DEFAULTS.seed;
    if (typeof seed !== "number" || !Number.isFinite(seed))
      throw new TypeError(`${who}: \`seed\` must be a finite number, got ${String(seed)}`);
    this.space = options.space;
    this.metrics = Object.freeze(checkMetrics(options.metrics, who));
    this.seed = seed;
    const root = new Rng(seed);
    this.rng = root.fork();
    this.#seeds = root.fork();
    this.#prefix = options.prefix ?? OPTIMIZER_DEFAULTS.prefix;
    this.#storageDir = options.storageDir;
    this.#fidelities = { ...(options.fidelities ?? {}) };
    this.#settings = settingsOf(options);
  }

  /**
   * The options this optimizer was built with, as JSON (besides `space` and `metrics`, which
   * have their own JSON): a function option is its name. A durable sweep compares them with
   * the ones it was started with.
   */
  get settings(): Readonly<Record<string, unknown>> {
    return this.#settings;
  }

  /** How many trials were asked so far. */
  get asked(): number {
    return this.#count;
  }

  /** `true` once nothing is left to propose; see {@link Optimizer.exhausted}. */
  get exhausted(): boolean {
    return false;
  }

  /**
   * The next `n` configurations, distinct from each other and, where the space allows, from
   * the pending ones. Fewer than `n` means the optimizer ran out.
   */
  protected abstract propose(n: number): Config[];

  ask(): Trial;
  ask(n: number): Trial[];
  ask(n?: number): Trial | Trial[] {
    if (n === undefined) {
      const [config] = this.propose(1);
      if (config === undefined)
        throw new OptimizerExhaustedError(
          `${this.constructor.name}: no configurations left to ask`,
        );
      return this.#trial(config);
    }
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(
        `${this.constructor.name}.ask(n): n must be a non-negative integer, got ${n}`,
      );
    if (n === 0) return [];
    return this.propose(n).map((c) => this.#trial(c));
  }

  #trial(config: Config): Trial {
    this.#count++;
    const trial = new Trial({
      name: `${this.#prefix}${String(this.#count).padStart(4, "0")}`,
      config: { ...config },
      seed: this.#seeds.int(0, 2 ** 31 - 1),
      metrics: [...this.metrics],
      fidelities: this.#fidelities,
      storageDir: this.#storageDir,
    });
    this.pending.set(trial.name, trial);
    return trial;
  }

  /**
   * Records the outcome of a trial; the contract every optimizer keeps (checked by
   * `src/optim/tell-conformance.ts` against each):
   *
   * - not a `TrialReport` (`undefined`, a plain object...): {@link TellError} `invalid_report`;
   * - a report whose trial was told before: {@link TellError} `duplicate_report`;
   * - a successful report without a value for one of the optimizer's metrics: {@link TellError}
   *   `missing_metric` (the report's metrics do not match the optimizer's);
   * - a report of a trial this optimizer did not ask (warm start, another optimizer's trial,
   *   a finished grid's trial) is accepted when its config lies in the space, else a
   *   `SpaceError` (`invalid_space`) naming the parameter and value;
   * - a successful report with a NaN or ±Infinity value is accepted as a failed trial: it
   *   never becomes the best or enters a front;
   * - a report of an asked trial is accepted even once the optimizer is exhausted.
   *
   * A refused report changes nothing. Subclasses learn from accepted reports in
   * {@link BaseOptimizer.observe}.
   */
  tell(report: TrialReport): void {
    const config = this.#accept(report);
    const losses = lossesOf(report, this.metrics);
    this.pending.delete(report.name);
    this.#told.add(report.name);
    this.observe(report, config, losses);
  }

  /**
   * Learns from an accepted report: `config` is the asked trial's config (or the checked
   * config of a foreign report); `losses` one per metric (lower is better), `undefined` unless
   * the report is a success with a finite value for every metric.
   */
  protected observe(_report: TrialReport, _config: Config, _losses: number[] | undefined): void {}

  /** The checks of {@link BaseOptimizer.tell}, before any state changes: the report's config. */
  #accept(report: TrialReport): Config {
    const who = `${this.constructor.name}.tell`;
    if (!isReport(report))
      throw new TellError("invalid_report", `${who}: expected a TrialReport, got ${show(report)}`, {
        value: report,
      });
    if (this.#told.has(report.name))
      throw new TellError("duplicate_report", `${who}: trial "${report.name}" was already told`, {
        value: report.name,
      });
    if (report.status === "success")
      for (const m of this.metrics)
        if (!Object.hasOwn(report.values, m.name))
          throw new TellError(
            "missing_metric",
            `${who}: successful trial "${report.name}" has no value for metric "${m.name}" (values: ${show(report.values)})`,
            { value: m.name },
          );
    const asked = this.pending.get(report.name);
    if (asked) return asked.config as Config;
    return { ...this.space.validate(report.config) };
  }
}
