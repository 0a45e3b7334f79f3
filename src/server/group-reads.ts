/**
 * The store reads of a grouped chart (`group-series.ts`): the x range every run of the chart
 * shares, and each run's buckets of one key on that range. Over 1,000 runs these reads are most
 * of a cold grouped chart's time, so they go to the store as several calls in flight at once
 * (a slice of the runs each): a store that reads in parallel (SQLite's read threads,
 * PostgreSQL's connection pool) then works on them side by side instead of one after another.
 */
import type { RunRecord, SeriesBucket, Store } from "../store/types.js";

/** The x axis of a grouped chart, in the API's unit: steps, or epoch ms, or ms since start. */
export type GroupX = "step" | "time" | "relative";

/** Runs per store call: small enough to spread 1,000 runs over every read thread. */
const RUNS_PER_READ = 100;
/** Store calls in flight at once (each read thread takes the next when it is free). */
const READS_IN_FLIGHT = 8;
/** Key-list reads in flight at once (one small read per run). */
const KEY_READS_IN_FLIGHT = 32;

/** `fn` over `items`, at most `limit` calls pending at once; the results in `items`' order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** `items` cut into consecutive slices of at most `size`. */
function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * One run's buckets of one key, and how a bucket's `x` (the store's unit: step, or epoch
 * seconds) becomes the API's: `x * scale - offset`.
 */
export interface RunBuckets {
  run: string;
  buckets: SeriesBucket[];
  scale: number;
  offset: number;
}

/** The API's x of a bucket of `r`. */
export function apiX(r: RunBuckets, b: SeriesBucket): number {
  return b.x * r.scale - r.offset;
}

/**
 * Each run's buckets of `key` on the API range [lo, hi] (`buckets` equal ones; one when the
 * range is a point): by step or time, the runs in slices read in parallel; by time since each
 * run's start, every run on its own range (its start differs), also in parallel.
 */
export async function readRunBuckets(
  store: Store,
  runs: readonly RunRecord[],
  key: string,
  x: GroupX,
  range: { lo: number; hi: number; buckets: number },
): Promise<RunBuckets[]> {
  const base = { keys: [key], buckets: range.buckets, source: "history" } as const;
  if (x === "relative") {
    const perRun = await mapLimit(runs, READS_IN_FLIGHT, async (r) => {
      const t0 = r.createdAt;
      const got = await store.readSeries({
        ...base,
        runIds: [r.id],
        x: "time",
        minX: (range.lo + t0) / 1000,
        maxX: (range.hi + t0) / 1000,
      });
      return got.map((s) => ({ run: s.runId, buckets: s.buckets, scale: 1000, offset: t0 }));
    });
    return perRun.flat();
  }
  const byTime = x === "time";
  const perSlice = await mapLimit(slices(runs, RUNS_PER_READ), READS_IN_FLIGHT, (part) =>
    store.readSeries({
      ...base,
      runIds: part.map((r) => r.id),
      x: byTime ? "time" : "step",
      minX: byTime ? range.lo / 1000 : range.lo,
      maxX: byTime ? range.hi / 1000 : range.hi,
    }),
  );
  const scale = byTime ? 1000 : 1;
  return perSlice.flat().map((s) => ({ run: s.runId, buckets: s.buckets, scale, offset: 0 }));
}

/**
 * The x range every run shares (API units), from each run's own first and last x: by step from
 * the store's key lists (no chunk is read), by time from two buckets per run over its own range
 * (the second starts half-way, so both ends are exact). A bound the request gives is kept.
 * Undefined when no run has the key.
 */
export async function commonRange(
  store: Store,
  runs: readonly RunRecord[],
  key: string,
  q: { x: GroupX; xMin?: number; xMax?: number },
): Promise<[number, number] | undefined> {
  let lo = q.xMin ?? Number.POSITIVE_INFINITY;
  let hi = q.xMax ?? Number.NEGATIVE_INFINITY;
  if (q.xMin !== undefined && q.xMax !== undefined) return hi >= lo ? [lo, hi] : undefined;
  const widen = (first: number, last: number) => {
    if (q.xMin === undefined) lo = Math.min(lo, first);
    if (q.xMax === undefined) hi = Math.max(hi, last);
  };
  if (q.x === "step") {
    const keys = await mapLimit(runs, KEY_READS_IN_FLIGHT, (r) => store.historyKeys(r.id));
    for (const list of keys) {
      const k = list.find((h) => h.key === key);
      if (k) widen(k.minStep, k.maxStep);
    }
  } else {
    const spans = await mapLimit(slices(runs, RUNS_PER_READ), READS_IN_FLIGHT, (part) =>
      store.readSeries({
        runIds: part.map((r) => r.id),
        keys: [key],
        x: "time",
        buckets: 2,
        source: "history",
      }),
    );
    const starts = new Map(runs.map((r) => [r.id, r.createdAt]));
    for (const s of spans.flat()) {
      const b = s.buckets;
      if (b.length === 0) continue;
      const offset = q.x === "relative" ? (starts.get(s.runId) ?? 0) : 0;
      const first = b[0]!.x * 1000 - offset;
      // Own-range buckets: [first, mid) and [mid, last]; one bucket when first = last.
      const last = b.length > 1 ? 2 * (b[1]!.x * 1000 - offset) - first : first;
      widen(first, last);
    }
  }
  return hi >= lo ? [lo, hi] : undefined;
}
