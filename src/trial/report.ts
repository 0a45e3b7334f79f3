/**
 * `TrialReport` (also reachable as `Trial.Report`): the plain, serializable outcome of a trial.
 *
 * @module
 */

import { Metric, type MetricJSON } from "./metric.js";
import { type Profile, profileColumns } from "./profile.js";

/**
 * The outcome of a trial.
 *
 * @example
 * ```ts
 * const status: TrialStatus = report.status;
 * if (status === "crashed") console.error(report.traceback);
 * ```
 */
export type TrialStatus = "success" | "fail" | "crashed" | "unknown";

/** A JSON-safe number: non-finite values are written as `"inf"`, `"-inf"` or `"nan"`. */
export type JSONNumber = number | "inf" | "-inf" | "nan";

/**
 * A cell of a report row.
 *
 * @example
 * ```ts
 * const row: Record<string, RowValue> = report.row();
 * row["metric:cost"]; // 0.5
 * ```
 */
export type RowValue = string | number | boolean | null;

/**
 * Plain form of a {@link TrialReport}: safe for `JSON.stringify` and structured clone.
 *
 * @example
 * ```ts
 * const json: TrialReportJSON = report.toJSON();
 * writeFileSync("report.json", JSON.stringify(json));
 * const back = TrialReport.fromJSON(JSON.parse(readFileSync("report.json", "utf8")));
 * ```
 */
export interface TrialReportJSON {
  name: string;
  status: TrialStatus;
  seed: number | null;
  values: Record<string, JSONNumber>;
  metrics: MetricJSON[];
  exception: string | null;
  traceback: string | null;
  createdAt: number;
  reportedAt: number;
  summary: Record<string, unknown>;
  profiles: Record<string, Profile>;
  config: Record<string, unknown>;
  fidelities: Record<string, unknown>;
}

/**
 * Fields to build a {@link TrialReport} from; usually a {@link Trial} builds it for you
 * (`trial.success(...)`, `trial.fail(...)`).
 *
 * @example
 * ```ts
 * const init: TrialReportInit = {
 *   name: "t1",
 *   status: "success",
 *   values: { cost: 0.5 },
 *   metrics: [new Metric("cost")],
 *   createdAt: Date.now(),
 * };
 * const report = new TrialReport(init);
 * ```
 */
export interface TrialReportInit {
  name: string;
  status: TrialStatus;
  seed?: number | null;
  values?: Record<string, number>;
  metrics?: Metric[];
  exception?: string | null;
  traceback?: string | null;
  createdAt: number;
  reportedAt?: number;
  summary?: Record<string, unknown>;
  profiles?: Record<string, Profile>;
  config?: Record<string, unknown>;
  fidelities?: Record<string, unknown>;
}

/** Encodes a number so that `JSON.stringify` keeps non-finite values. */
export function encodeNumber(x: number): JSONNumber {
  if (Number.isNaN(x)) return "nan";
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  return x;
}

/** Inverse of {@link encodeNumber}; also accepts numeric strings. */
export function decodeNumber(x: unknown): number {
  if (typeof x === "number") return x;
  if (x === "inf" || x === "Infinity") return Number.POSITIVE_INFINITY;
  if (x === "-inf" || x === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (x === "nan" || x === "NaN" || x === null) return Number.NaN;
  return Number(x);
}

function plain(
  value: Record<string, unknown>,
  what: string,
  trial: string,
): Record<string, unknown> {
  try {
    return structuredClone(value);
  } catch (error) {
    throw new TypeError(
      `TrialReport "${trial}": ${what} must hold plain data (no functions or class instances ` +
        `with behaviour): ${(error as Error).message}`,
    );
  }
}

function cell(v: unknown): RowValue {
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : encodeNumber(v);
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return v.toString();
  return JSON.stringify(v);
}

/**
 * What a trial reports: its status, metric values, error, profiles and summary.
 * Holds only plain data, so it can cross process boundaries ({@link TrialReport.toJSON},
 * {@link TrialReport.fromJSON}).
 *
 * @example
 * ```ts
 * const trial = new Trial({ name: "t1", config: { lr: 0.1 }, metrics: [new Metric("cost")] });
 * const report: Trial.Report = trial.success({ cost: 0.5 });
 * report.row()["metric:cost"]; // 0.5
 * const copy = TrialReport.fromJSON(JSON.parse(JSON.stringify(report)));
 * ```
 */
export class TrialReport {
  /** The trial's name. */
  readonly name: string;
  readonly status: TrialStatus;
  readonly seed: number | null;
  /** Metric values by metric name. */
  readonly values: Readonly<Record<string, number>>;
  /** The metrics the trial declared. */
  readonly metrics: readonly Metric[];
  /** The error message, if the trial failed or crashed with an error. */
  readonly exception: string | null;
  /** The error's stack, if any. */
  readonly traceback: string | null;
  /** When the trial was created, ms since the epoch. */
  readonly createdAt: number;
  /** When the report was made, ms since the epoch. */
  readonly reportedAt: number;
  readonly summary: Record<string, unknown>;
  readonly profiles: Record<string, Profile>;
  readonly config: Record<string, unknown>;
  readonly fidelities: Record<string, unknown>;

  constructor(init: TrialReportInit) {
    this.name = init.name;
    this.status = init.status;
    this.seed = init.seed ?? null;
    this.values = { ...(init.values ?? {}) };
    this.metrics = [...(init.metrics ?? [])];
    this.exception = init.exception ?? null;
    this.traceback = init.traceback ?? null;
    this.createdAt = init.createdAt;
    this.reportedAt = init.reportedAt ?? Date.now();
    this.summary = { ...(init.summary ?? {}) };
    this.profiles = structuredClone(init.profiles ?? {});
    this.config = { ...(init.config ?? {}) };
    this.fidelities = { ...(init.fidelities ?? {}) };
  }

  /** The declared metric called `name`, if any. */
  metric(name: string): Metric | undefined {
    return this.metrics.find((m) => m.name === name);
  }

  /**
   * A flat, `df()`-like row: `name`, `status`, `seed`, `exception`, `traceback`,
   * `created_at`, `reported_at`, `metric:<name>`, `summary:<k>`, `config:<k>`,
   * `fidelity:<k>`, `profile:<name>:{time,cpu,memory}:<field>`. Non-finite numbers
   * appear as `"inf"`, `"-inf"` or `"nan"`; objects as JSON text.
   */
  row(): Record<string, RowValue> {
    const row: Record<string, RowValue> = {
      name: this.name,
      status: this.status,
      seed: this.seed,
      exception: this.exception,
      traceback: this.traceback,
      created_at: this.createdAt,
      reported_at: this.reportedAt,
    };
    const metricNames = new Set([...this.metrics.map((m) => m.name), ...Object.keys(this.values)]);
    for (const n of metricNames) row[`metric:${n}`] = cell(this.values[n]);
    for (const [k, v] of Object.entries(this.summary)) row[`summary:${k}`] = cell(v);
    for (const [k, v] of Object.entries(this.config)) row[`config:${k}`] = cell(v);
    for (const [k, v] of Object.entries(this.fidelities)) row[`fidelity:${k}`] = cell(v);
    Object.assign(row, profileColumns(this.profiles));
    return row;
  }

  /** Plain form; `JSON.stringify(report)` uses it. */
  toJSON(): TrialReportJSON {
    const values: Record<string, JSONNumber> = {};
    for (const [k, v] of Object.entries(this.values)) values[k] = encodeNumber(v);
    return {
      name: this.name,
      status: this.status,
      seed: this.seed,
      values,
      metrics: this.metrics.map((m) => m.toJSON()),
      exception: this.exception,
      traceback: this.traceback,
      createdAt: this.createdAt,
      reportedAt: this.reportedAt,
      summary: plain(this.summary, "summary", this.name),
      profiles: structuredClone(this.profiles),
      config: plain(this.config, "config", this.name),
      fidelities: plain(this.fidelities, "fidelities", this.name),
    };
  }

  /** Rebuilds a report from {@link TrialReport.toJSON}'s output (or its JSON text parsed). */
  static fromJSON(data: TrialReportJSON): TrialReport {
    if (!data || typeof data !== "object" || typeof data.name !== "string") {
      throw new TypeError("TrialReport.fromJSON: expected an object with a string `name`");
    }
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(data.values ?? {})) values[k] = decodeNumber(v);
    return new TrialReport({
      ...data,
      values,
      metrics: (data.metrics ?? []).map((m) => Metric.fromJSON(m)),
    });
  }
}
