/**
 * `History`: a collection of trial reports with queries and export/import.
 *
 * @module
 */

import { parseCSV, toCSV } from "./csv.js";
import { Metric } from "./metric.js";
import { profilesFromColumns } from "./profile.js";
import {
  decodeNumber,
  type RowValue,
  TrialReport,
  type TrialReportJSON,
  type TrialStatus,
} from "./report.js";

/**
 * Options for {@link History.fromCSV}.
 *
 * @example
 * ```ts
 * const options: FromCSVOptions = { metrics: [new Metric("acc", { minimize: false })] };
 * const history = History.fromCSV(readFileSync("history.csv", "utf8"), options);
 * ```
 */
export interface FromCSVOptions {
  /** Metric definitions (direction, bounds); by default each `metric:<name>` column is minimized. */
  metrics?: Metric[];
}

function parseCell(s: string | undefined): unknown {
  if (s === undefined || s === "") return null;
  if (s === "true") return true;
  if (s === "false") return false;
  if (s === "inf" || s === "-inf" || s === "nan") return decodeNumber(s);
  if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  if (/^[[{]/.test(s)) {
    try {
      return JSON.parse(s);
    } catch {
      return s;
    }
  }
  return s;
}

function sortReports(reports: TrialReport[], metric: string, asc: boolean): TrialReport[] {
  const has = reports.filter(
    (r) => typeof r.values[metric] === "number" && !Number.isNaN(r.values[metric]),
  );
  return has.sort((a, b) => {
    const x = a.values[metric];
    const y = b.values[metric];
    // Not `x - y`: Infinity - Infinity is NaN, which breaks the sort.
    const d = x === y ? 0 : x < y ? -1 : 1;
    return asc ? d : -d;
  });
}

/**
 * The reports of an optimization run, keyed by trial name.
 *
 * @example
 * ```ts
 * const history = new History();
 * history.add(trial.success({ cost: 0.2 }));
 * history.best("cost")?.name;
 * writeFileSync("history.csv", history.toCSV());
 * const back = History.fromCSV(readFileSync("history.csv", "utf8"), { metrics });
 * ```
 */
export class History implements Iterable<TrialReport> {
  private readonly reports: TrialReport[] = [];
  private readonly byName = new Map<string, TrialReport>();

  constructor(reports: Iterable<TrialReport> = []) {
    for (const r of reports) this.add(r);
  }

  /** Number of reports. */
  get length(): number {
    return this.reports.length;
  }

  /** Adds one or more reports; a trial name already present is an error. */
  add(report: TrialReport | Iterable<TrialReport>): this {
    let list: TrialReport[];
    if (report instanceof TrialReport) list = [report];
    else if (report && typeof (report as Iterable<TrialReport>)[Symbol.iterator] === "function") {
      list = [...report];
    } else throw new TypeError("History.add: expected a TrialReport or an iterable of them");
    for (const r of list) {
      if (!(r instanceof TrialReport)) throw new TypeError("History.add: expected a TrialReport");
      if (this.byName.has(r.name)) {
        throw new Error(`History.add: a report for trial "${r.name}" is already present`);
      }
      this.byName.set(r.name, r);
      this.reports.push(r);
    }
    return this;
  }

  [Symbol.iterator](): Iterator<TrialReport> {
    return this.reports[Symbol.iterator]();
  }

  /** The reports, in the order added. */
  toArray(): TrialReport[] {
    return [...this.reports];
  }

  /** The report of trial `name`, or `undefined`. */
  find(name: string): TrialReport | undefined {
    return this.byName.get(name);
  }

  /** A new history with the reports that pass `fn`. */
  filter(fn: (report: TrialReport) => boolean): History {
    return new History(this.reports.filter(fn));
  }

  /** Groups reports by status, or by the key `fn` returns. */
  groupBy(key: "status" | ((report: TrialReport) => string)): Record<string, History> {
    const f = key === "status" ? (r: TrialReport): string => r.status : key;
    const out: Record<string, History> = {};
    for (const r of this.reports) {
      const k = f(r);
      out[k] ??= new History();
      out[k].add(r);
    }
    return out;
  }

  private metricFor(name: string): Metric {
    for (const r of this.reports) {
      const m = r.metric(name);
      if (m) return m;
    }
    if (this.reports.some((r) => name in r.values)) return new Metric(name);
    throw new Error(`History: no report has metric "${name}"`);
  }

  /**
   * Reports that have a number for `metric`, best first (by default; `ascending` sorts by
   * raw value instead, `true` = lowest first). Ties keep insertion order.
   */
  sortBy(metric: string, options: { ascending?: boolean } = {}): TrialReport[] {
    const m = this.metricFor(metric);
    return sortReports(this.reports, metric, options.ascending ?? m.minimize);
  }

  /** The best successful report for `metric`, or `undefined` if none. */
  best(metric: string): TrialReport | undefined {
    const m = this.metricFor(metric);
    const ok = this.reports.filter((r) => r.status === "success");
    return sortReports(ok, metric, m.minimize)[0];
  }

  /** The successful reports that improved on every earlier one for `metric`, in order. */
  incumbents(metric: string): TrialReport[] {
    const m = this.metricFor(metric);
    const out: TrialReport[] = [];
    for (const r of this.reports) {
      const v = r.values[metric];
      if (r.status !== "success" || typeof v !== "number" || Number.isNaN(v)) continue;
      const last = out[out.length - 1];
      if (!last || m.isBetter(v, last.values[metric])) out.push(r);
    }
    return out;
  }

  /** One flat row per report; see {@link TrialReport.row}. */
  rows(): Record<string, RowValue>[] {
    return this.reports.map((r) => r.row());
  }

  /** The rows as CSV text. */
  toCSV(): string {
    return toCSV(this.rows());
  }

  /** Plain form: an array of report objects. */
  toJSON(): TrialReportJSON[] {
    return this.reports.map((r) => r.toJSON());
  }

  /** Rebuilds a history from {@link History.toJSON}'s output (or JSON text). */
  static fromJSON(data: TrialReportJSON[] | string): History {
    const arr = typeof data === "string" ? (JSON.parse(data) as unknown) : data;
    if (!Array.isArray(arr)) throw new TypeError("History.fromJSON: expected an array of reports");
    return new History(arr.map((d) => TrialReport.fromJSON(d as TrialReportJSON)));
  }

  /**
   * Rebuilds a history from {@link History.toCSV}'s output. Cells are parsed back into numbers,
   * booleans, `null` (empty) or JSON objects where they look like one.
   */
  static fromCSV(text: string, options: FromCSVOptions = {}): History {
    const known = new Map((options.metrics ?? []).map((m) => [m.name, m]));
    const statuses: TrialStatus[] = ["success", "fail", "crashed", "unknown"];
    return new History(
      parseCSV(text).map((raw, n) => {
        if (!raw.name) throw new Error(`History.fromCSV: row ${n + 2} has no name`);
        const status = raw.status as TrialStatus;
        if (!statuses.includes(status)) {
          throw new Error(`History.fromCSV: row ${n + 2} has unknown status "${raw.status}"`);
        }
        const values: Record<string, number> = {};
        const metrics: Metric[] = [];
        const summary: Record<string, unknown> = {};
        const config: Record<string, unknown> = {};
        const fidelities: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(raw)) {
          const i = k.indexOf(":");
          if (i < 0) continue;
          const group = k.slice(0, i);
          const key = k.slice(i + 1);
          if (group === "metric") {
            metrics.push(known.get(key) ?? new Metric(key));
            if (s !== "") values[key] = decodeNumber(s);
          } else if (group === "summary" && s !== "") summary[key] = parseCell(s);
          else if (group === "config" && s !== "") config[key] = parseCell(s);
          else if (group === "fidelity" && s !== "") fidelities[key] = parseCell(s);
        }
        const seed = parseCell(raw.seed);
        return new TrialReport({
          name: raw.name,
          status,
          seed: typeof seed === "number" ? seed : null,
          values,
          metrics,
          exception: raw.exception || null,
          traceback: raw.traceback || null,
          createdAt: Number(raw.created_at),
          reportedAt: Number(raw.reported_at),
          summary,
          config,
          fidelities,
          profiles: profilesFromColumns(raw),
        });
      }),
    );
  }
}
