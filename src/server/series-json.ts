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

/** `{"series": [...]}` with `x` and the requested columns of each series, in order. */
export function seriesJson(
  series: readonly ColumnarSeries[],
  fields: readonly SeriesColumn[],
): string {
  const parts: string[] = [];
  for (const s of series) {
    let one = `{"run":${JSON.stringify(s.run)},"key":${JSON.stringify(s.key)},"x":${numbersJson(s.x)}`;
    for (const f of fields) {
      if (f !== "nonFinite") one += `,"${f}":${numbersJson(s[f] ?? [])}`;
      else if (s.nonFinite) one += `,"nonFinite":${nonFiniteJson(s.nonFinite)}`;
    }
    parts.push(`${one}}`);
  }
  return `{"series":[${parts.join(",")}]}`;
}
