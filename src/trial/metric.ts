/**
 * `Metric`: a named objective with a direction and optional bounds.
 *
 * @module
 */

/**
 * Inclusive `[low, high]` bounds of a metric.
 *
 * @example
 * ```ts
 * const bounds: MetricBounds = [0, 1];
 * const acc = new Metric("acc", { minimize: false, bounds });
 * ```
 */
export type MetricBounds = readonly [number, number];

/**
 * Options for {@link Metric}.
 *
 * @example
 * ```ts
 * const options: MetricOptions = { minimize: false, bounds: [0, 1] };
 * const acc = new Metric("acc", options);
 * ```
 */
export interface MetricOptions {
  /** Whether lower is better (default `true`). */
  minimize?: boolean;
  /** Known `[low, high]` range of the metric, e.g. `[0, 1]` for accuracy. */
  bounds?: MetricBounds;
}

/**
 * Plain, serializable form of a {@link Metric}.
 *
 * @example
 * ```ts
 * const json: MetricJSON = new Metric("cost").toJSON();
 * // { name: "cost", minimize: true, bounds: null }
 * const back = Metric.fromJSON(json);
 * ```
 */
export interface MetricJSON {
  name: string;
  minimize: boolean;
  bounds: [number, number] | null;
}

/** Formats a number the way Python prints floats (`1` -> `"1.0"`, `Infinity` -> `"inf"`). */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/**
 * A metric that trials report, e.g. a cost to minimize or an accuracy to maximize.
 *
 * @example
 * ```ts
 * const acc = new Metric("acc", { minimize: false, bounds: [0, 1] });
 * acc.worst; // 0
 * acc.optimal; // 1
 * acc.loss(0.9); // -0.9
 * acc.normalizedLoss(0.9); // ~0.1
 * String(acc); // "acc [0.0, 1.0] (maximize)"
 * ```
 */
export class Metric {
  /** The metric's name, the key under which trials report it. */
  readonly name: string;
  /** Whether lower values are better. */
  readonly minimize: boolean;
  /** The `[low, high]` bounds, if known. */
  readonly bounds: MetricBounds | undefined;

  constructor(name: string, options: MetricOptions = {}) {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(`Metric name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    this.name = name;
    this.minimize = options.minimize ?? true;
    const bounds = options.bounds;
    if (bounds !== undefined) {
      if (!Array.isArray(bounds) || bounds.length !== 2) {
        throw new TypeError(`Metric "${name}": bounds must be a [low, high] pair`);
      }
      const [low, high] = bounds;
      if (
        typeof low !== "number" ||
        typeof high !== "number" ||
        Number.isNaN(low) ||
        Number.isNaN(high)
      ) {
        throw new RangeError(`Metric "${name}": bounds must be numbers, got [${low}, ${high}]`);
      }
      if (!(low < high)) {
        throw new RangeError(`Metric "${name}": bounds need low < high, got [${low}, ${high}]`);
      }
      this.bounds = Object.freeze([low, high]) as MetricBounds;
    } else {
      this.bounds = undefined;
    }
  }

  /** The worst possible value: the bound in the bad direction, else `±Infinity`. */
  get worst(): number {
    if (this.bounds) return this.minimize ? this.bounds[1] : this.bounds[0];
    return this.minimize ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  /** The best possible value: the bound in the good direction, else `∓Infinity`. */
  get optimal(): number {
    if (this.bounds) return this.minimize ? this.bounds[0] : this.bounds[1];
    return this.minimize ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }

  /** The value as a loss to minimize: itself when minimizing, negated when maximizing. */
  loss(value: number): number {
    return this.minimize ? value : -value;
  }

  /**
   * The value as a loss in `[0, 1]` (0 = optimal, 1 = worst) when bounds are known;
   * without bounds, the same as {@link Metric.loss}.
   */
  normalizedLoss(value: number): number {
    if (!this.bounds) return this.loss(value);
    const [low, high] = this.bounds;
    const normed = (value - low) / (high - low);
    return this.minimize ? normed : 1 - normed;
  }

  /** Whether `a` is strictly better than `b` for this metric. */
  isBetter(a: number, b: number): boolean {
    return this.loss(a) < this.loss(b);
  }

  /** E.g. `"acc [0.0, 1.0] (maximize)"` or `"cost (minimize)"`. */
  toString(): string {
    const dir = this.minimize ? "minimize" : "maximize";
    if (!this.bounds) return `${this.name} (${dir})`;
    return `${this.name} [${formatFloat(this.bounds[0])}, ${formatFloat(this.bounds[1])}] (${dir})`;
  }

  /** Plain form, e.g. for `JSON.stringify`. */
  toJSON(): MetricJSON {
    return {
      name: this.name,
      minimize: this.minimize,
      bounds: this.bounds ? [this.bounds[0], this.bounds[1]] : null,
    };
  }

  /** Rebuilds a metric from {@link Metric.toJSON}'s output. */
  static fromJSON(data: MetricJSON): Metric {
    return new Metric(data.name, {
      minimize: data.minimize,
      bounds: data.bounds ? [data.bounds[0], data.bounds[1]] : undefined,
    });
  }
}
