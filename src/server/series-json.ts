/**
 * The `/api/series` response body, written by hand: `JSON.stringify` with the non-finite
 * replacer calls a function per number, and a 100-run chart is ~100,000 numbers. Number
 * arrays are joined (the same text JSON.stringify gives a finite number); an array holding a
 * non-finite number (the columns never do: non-finite values are counts of their own, but the
 * contract allows it) goes through `encodeJson`.
 */
import type { NonFiniteColumns } from "../protocol/dashboard.js";
import { encodeJson } from "../shared/json-numbers.js";

export interface ColumnarSeries {
  run: string;
  key: string;
  x: number[];
  /** Present when asked for (`fields`). */
  min?: number[];
  max?: number[];
  last?: number[];
  count?: number[];
  /**
   * The buckets holding NaN/±Infinity, sparse (present only when some do, and asked for):
   * their x and counts. A bucket of only non-finite values is here and not in the columns
   * above, which describe finite values.
   */
  nonFinite?: NonFiniteColumns;
}

export type { NonFiniteColumns };

/** The bucket columns of a series response. */
export type SeriesColumn = "min" | "max" | "last" | "count" | "nonFinite";

function nonFiniteJson(c: NonFiniteColumns): string {
  return `{"x":${numbersJson(c.x)},"nan":${numbersJson(c.nan)},"posInf":${numbersJson(c.posInf)},"negInf":${numbersJson(c.negInf)}}`;
}

/** A JSON array: joined when all finite numbers, else `encodeJson` (tags, other values). */
export function numbersJson(a: readonly unknown[]): string {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return encodeJson(a);
  return `[${a.join(",")}]`;
}

/** One series' JSON object. */
function oneSeriesJson(s: ColumnarSeries, fields: readonly SeriesColumn[]): string {
  let one = `{"run":${JSON.stringify(s.run)},"key":${JSON.stringify(s.key)},"x":${numbersJson(s.x)}`;
  for (const f of fields) {
    if (f !== "nonFinite") one += `,"${f}":${numbersJson(s[f] ?? [])}`;
    else if (s.nonFinite) one += `,"nonFinite":${nonFiniteJson(s.nonFinite)}`;
  }
  return `${one}}`;
}

/** `{"series": [...]}` with `x` and the requested columns of each series, in order. */
export function seriesJson(
  series: readonly ColumnarSeries[],
  fields: readonly SeriesColumn[],
  memo?: SeriesJsonMemo,
): string {
  const parts: string[] = [];
  for (const s of series) parts.push(memo ? memo.json(s, fields) : oneSeriesJson(s, fields));
  return `{"series":[${parts.join(",")}]}`;
}

/** Series a server keeps the JSON of (a few 100-run charts of a few keys). */
const MEMO_SERIES = 2_000;

/**
 * The JSON of each (run, key, columns) series as last written, reused while its numbers are
 * the same: a live chart asks again every few hundred milliseconds, and between two asks most of
 * its runs did not log (measured under 20 online writers: writing the numbers was the largest
 * share of the read, and most of its garbage). Equal is element by element (`===`: a NaN is
 * never equal, so non-finite values are always written again); a series with non-finite
 * counts is not kept. Least recently written series go past {@link MEMO_SERIES}.
 */
export class SeriesJsonMemo {
  readonly #entries = new Map<string, { columns: readonly number[][]; json: string }>();

  constructor(private readonly maxSeries = MEMO_SERIES) {}

  json(s: ColumnarSeries, fields: readonly SeriesColumn[]): string {
    if (s.nonFinite) return oneSeriesJson(s, fields);
    const id = `${s.run}\u0000${s.key}\u0000${fields.join(",")}`;
    const columns = [s.x, ...fields.map((f) => (f === "nonFinite" ? [] : (s[f] ?? [])))];
    const kept = this.#entries.get(id);
    this.#entries.delete(id);
    const json = kept && sameColumns(kept.columns, columns) ? kept.json : oneSeriesJson(s, fields);
    this.#entries.set(id, { columns, json });
    if (this.#entries.size > this.maxSeries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return json;
  }
}

function sameColumns(a: readonly number[][], b: readonly number[][]): boolean {
  if (a.length !== b.length) return false;
  for (let c = 0; c < a.length; c++) {
    const x = a[c]!;
    const y = b[c]!;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}
