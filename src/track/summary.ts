import type { StoredValue } from "../store/types.js";
import { TrackError } from "./errors.js";

/**
 * A summary aggregate for `defineMetric` ("none" keeps the key out of the summary).
 *
 * @example
 * ```ts
 * const aggs: SummaryAgg[] = ["min", "max"];
 * run.defineMetric("loss", { summary: aggs.join(",") });
 * ```
 */
export type SummaryAgg = "min" | "max" | "mean" | "last" | "first" | "none";

/**
 * Options of `run.defineMetric`.
 *
 * @example
 * ```ts
 * const opts: MetricOptions = { summary: "max" };
 * run.defineMetric("acc", opts);
 * ```
 */
export interface MetricOptions {
  /** Comma-separated aggregates, e.g. `"min,max"`; default `"last"`. */
  summary?: string;
}

interface MetricState {
  aggs: SummaryAgg[];
  min?: number;
  max?: number;
  sum: number;
  count: number;
  first?: StoredValue;
  last?: StoredValue;
}

const AGGS = new Set(["min", "max", "mean", "last", "first", "none"]);

/**
 * Summary bookkeeping. By default the summary holds the last logged value of each key; keys
 * with `defineMetric(name, { summary: "min,max" })` hold `{ min, max }` instead (W&B layout).
 * Direct sets win until the next log of that key.
 */
export class SummaryState {
  // No prototype: a key such as "__proto__" (a resumed run's stored summary, a logged row) is
  // then plain data, set and copied like any other, and can never replace the prototype. Made
  // by `setPrototypeOf` rather than `Object.create(null)`, which gives V8's dictionary mode:
  // copying and encoding the summary at every flush was then ~40x slower (a few µs a trial).
  readonly values: Record<string, StoredValue> = Object.setPrototypeOf({}, null);
  private readonly metrics = new Map<string, MetricState>();
  dirty = false;

  define(name: string, opts: MetricOptions = {}): void {
    if (!name) throw new TrackError("defineMetric: empty name");
    const aggs = (opts.summary ?? "last")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    for (const a of aggs) {
      if (!AGGS.has(a)) throw new TrackError(`defineMetric("${name}"): unknown summary "${a}"`);
    }
    this.metrics.set(name, { aggs: aggs as SummaryAgg[], sum: 0, count: 0 });
  }

  /** Called for each committed row. */
  observe(values: Record<string, StoredValue>): void {
    for (const k in values) this.observeOne(k, values[k]);
    this.dirty = true;
  }

  /** One key of a committed row (the caller sets `dirty`). */
  observeOne(k: string, v: StoredValue): void {
    const m = this.metrics.size === 0 ? undefined : this.metrics.get(k);
    if (m === undefined) this.values[k] = v;
    // A defined metric's aggregates apart: every logged key of every row runs the line above,
    // and V8 compiles that short function early instead of this long one.
    else this.observeMetric(k, v, m);
  }

  private observeMetric(k: string, v: StoredValue, m: MetricState): void {
    if (m.first === undefined) m.first = v;
    m.last = v;
    if (typeof v === "number" && !Number.isNaN(v)) {
      m.min = m.min === undefined || v < m.min ? v : m.min;
      m.max = m.max === undefined || v > m.max ? v : m.max;
      m.sum += v;
      m.count++;
    }
    if (m.aggs.includes("none")) {
      delete this.values[k];
      return;
    }
    const o: Record<string, StoredValue> = {};
    for (const a of m.aggs) {
      if (a === "min" && m.min !== undefined) o.min = m.min;
      else if (a === "max" && m.max !== undefined) o.max = m.max;
      else if (a === "mean" && m.count > 0) o.mean = m.sum / m.count;
      else if (a === "first") o.first = m.first ?? null;
      else if (a === "last") o.last = m.last ?? null;
    }
    this.values[k] = o;
  }

  /** A proxy that reads/writes `values` directly (`run.summary.cost = 5`). */
  proxy(): Record<string, StoredValue> {
    return new Proxy(this.values, new SummaryTraps(this));
  }
}

/**
 * The summary proxy's traps: writes go to the values and mark the summary dirty. A class, so a
 * run (one per trial) makes one small object, not a closure per trap.
 */
class SummaryTraps implements ProxyHandler<Record<string, StoredValue>> {
  constructor(private readonly state: SummaryState) {}

  set(t: Record<string, StoredValue>, p: string | symbol, v: unknown): boolean {
    if (typeof p !== "string") return false;
    t[p] = v as StoredValue;
    this.state.dirty = true;
    return true;
  }

  deleteProperty(t: Record<string, StoredValue>, p: string | symbol): boolean {
    if (typeof p === "string") delete t[p];
    this.state.dirty = true;
    return true;
  }
}
