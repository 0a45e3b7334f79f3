/**
 * What every backend's `readSeries` shares before and after its own SQL: the query checks (so all
 * refuse the same query with the same message) and the row shape of a bucket aggregate.
 */
import { type SeriesQuery, StoreError } from "./types.js";

/** Refuses a bucket count or x axis the stores do not serve (StoreError "invalid"). */
export function checkSeriesQuery(q: SeriesQuery): void {
  if (!Number.isInteger(q.buckets) || q.buckets < 1 || q.buckets > 100_000) {
    throw new StoreError(`invalid bucket count ${JSON.stringify(q.buckets)}`, "invalid");
  }
  if (q.x !== "step" && q.x !== "time") {
    throw new StoreError(`invalid x ${JSON.stringify(q.x)}`, "invalid");
  }
}

/** One bucket of one (run, key) as the bucketing SQL answers it: range, min, max, count, last. */
export interface BucketRow {
  run: string;
  key: string;
  bi: number;
  lo: number;
  hi: number;
  mn: number;
  mx: number;
  c: number;
  last: number;
}
