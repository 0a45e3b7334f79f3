/**
 * The `/api/series` response body, written by hand: `JSON.stringify` with the non-finite
 * replacer calls a function per number, and a 100-run chart is ~100,000 numbers. Number
 * arrays are joined (the same text JSON.stringify gives a finite number); an array holding a
 * non-finite number (buckets never do, but the contract allows it) goes through `encodeJson`.
 */
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
}

/** A JSON array: joined when all finite numbers, else `encodeJson` (tags, other values). */
export function numbersJson(a: readonly unknown[]): string {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return encodeJson(a);
  return `[${a.join(",")}]`;
}

/** `{"series": [...]}` with `x` and the requested columns of each series, in order. */
export function seriesJson(
  series: readonly ColumnarSeries[],
  fields: readonly ("min" | "max" | "last" | "count")[],
): string {
  const parts: string[] = [];
  for (const s of series) {
    let one = `{"run":${JSON.stringify(s.run)},"key":${JSON.stringify(s.key)},"x":${numbersJson(s.x)}`;
    for (const f of fields) one += `,"${f}":${numbersJson(s[f] ?? [])}`;
    parts.push(`${one}}`);
  }
  return `{"series":[${parts.join(",")}]}`;
}
