/**
 * The dashboard's many-run wire formats, shared by the server (`src/server/group-series.ts`,
 * which computes them) and the dashboard (`web/src/api.ts`, which draws them): one
 * declaration, so the two sides cannot drift. Types only: the server checks requests with its
 * own valibot schema (`groupSeriesSchema`), whose output these requests match.
 */

/** The x axis of a chart: step, epoch ms (`time`), or ms since the run was created. */
export type SeriesXMode = "step" | "time" | "relative";

/**
 * `POST /api/series/groups`'s body (docs/api.md): the runs (ids, or a runs query), how to
 * group them, the keys to chart and the bucket grid.
 */
export interface GroupSeriesRequestBody {
  /** A `GET /api/runs` query string: the runs it names. */
  runsQuery?: string;
  /** Run ids (give `runs` or `runsQuery`, not both). */
  runs?: string[];
  /** `group`, `tags`, `config.<key>` or `summary.<key>`. */
  by: string;
  /** The history keys to aggregate, one series per (group, key). */
  keys: string[];
  /** The x axis (default `step`). */
  x?: SeriesXMode;
  /**
   * A logged metric to put on x instead of the step (W&B's step metric, e.g. `epoch`): each
   * run's step buckets are placed at that metric's value there, then binned on its range.
   * Needs `x: "step"`; `xMin`/`xMax` are then in the metric's unit.
   */
  xKey?: string;
  /** Buckets at most (default 200). */
  buckets?: number;
  /** The x range to bucket, in the x unit (a zoom). */
  xMin?: number;
  xMax?: number;
  /** The percentile band `[low, high]` (default `[25, 75]`). */
  percentiles?: [number, number];
}

/** One (group, key) aggregate: parallel arrays over the buckets where some run had a value. */
export interface GroupSeries {
  group: string;
  key: string;
  x: number[];
  mean: number[];
  std: number[];
  min: number[];
  max: number[];
  /** The `percentiles` band: low and high percentile of the runs' values. */
  lo: number[];
  hi: number[];
  /** How many of the group's runs had a value in the bucket. */
  n: number[];
  /**
   * The buckets where the group's runs logged NaN/±Infinity (sparse; absent when none): the
   * bucket's left edge and the counts over all the group's runs. Not part of the statistics.
   */
  nonFinite?: NonFiniteColumns;
}

/**
 * Sparse per-bucket counts of non-finite values (`POST /api/series` and `/api/series/groups`):
 * parallel arrays of a bucket's left edge and its NaN, +Infinity and -Infinity counts.
 */
export interface NonFiniteColumns {
  x: number[];
  nan: number[];
  posInf: number[];
  negInf: number[];
}

/** `POST /api/series/groups`'s answer. */
export interface GroupSeriesResponse {
  /** Every group, in order, with its run count (runs without the key included). */
  groups: { label: string; runs: number }[];
  series: GroupSeries[];
}
