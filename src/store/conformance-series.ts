/**
 * The non-finite cases of the conformance suite: NaN, +Infinity and -Infinity logged among
 * finite values are counted per series bucket (`SeriesBucket.nonFinite`), by step and by time,
 * in a zoomed range, across chunks, and in buckets that hold nothing else; the finite
 * aggregates stay those of the finite values alone.
 */
import { expect, it } from "vitest";
import type { HistoryRow, SeriesBucket, Store } from "./types.js";

const NAN = Number.NaN;
const INF = Number.POSITIVE_INFINITY;

/** Steps 0..99: NaN at 10-12, +Inf at 55, -Inf at 56, and NaN from 90 on (a diverged tail). */
function diverged(step: number): number {
  if (step >= 10 && step <= 12) return NAN;
  if (step === 55) return INF;
  if (step === 56) return -INF;
  if (step >= 90) return NAN;
  return step;
}

function rows(n: number, value: (step: number) => Record<string, number>): HistoryRow[] {
  return Array.from({ length: n }, (_, step) => ({
    step,
    runtime: step,
    timestamp: 1000 + step,
    values: value(step),
  }));
}

/** The buckets' non-finite counts summed, and the finite count. */
function totals(buckets: readonly SeriesBucket[]) {
  const t = { count: 0, nan: 0, posInf: 0, negInf: 0 };
  for (const b of buckets) {
    t.count += b.count;
    t.nan += b.nonFinite?.nan ?? 0;
    t.posInf += b.nonFinite?.posInf ?? 0;
    t.negInf += b.nonFinite?.negInf ?? 0;
  }
  return t;
}

/** Adds the non-finite series cases to the suite of `describeStoreConformance`. */
export function describeSeriesConformance(store: () => Store): void {
  it("counts NaN, Infinity and -Infinity per series bucket, apart from the finite values", async () => {
    const id = `nonfinite-${Math.random().toString(36).slice(2, 10)}`;
    await store().createRun({ id, project: "proj", name: id, createdAt: Date.now() });
    await store().appendHistory(
      id,
      rows(100, (s) => ({ y: diverged(s), z: s % 2 === 0 ? NAN : -INF })),
    );
    const read = async (q: { x: "step" | "time"; minX?: number; maxX?: number }) =>
      (await store().readSeries({ runIds: [id], keys: ["y", "z"], buckets: 10, ...q })).map(
        (s) => s.buckets,
      );

    const [y, z] = await read({ x: "step" });
    // The range is every point's, the NaN tail included: ten buckets of 9.9 steps.
    expect(y.map((b) => b.x)).toEqual(Array.from({ length: 10 }, (_, i) => (i * 99) / 10));
    expect(y[1]).toEqual({
      x: 9.9,
      min: 13,
      max: 19,
      last: 19,
      count: 7,
      nonFinite: { nan: 3, posInf: 0, negInf: 0 },
    });
    expect(y[5]).toMatchObject({ min: 50, max: 59, last: 59, count: 8 });
    expect(y[5]!.nonFinite).toEqual({ nan: 0, posInf: 1, negInf: 1 });
    // Finite-only buckets carry no counts.
    for (const i of [0, 2, 3, 4, 6, 7, 8]) expect(y[i]!.nonFinite).toBeUndefined();
    // A bucket of NaN only: no finite value, so no min, max or last.
    expect(y[9]).toMatchObject({ x: 89.1, count: 0, nonFinite: { nan: 10, posInf: 0, negInf: 0 } });
    expect([y[9]!.min, y[9]!.max, y[9]!.last].every(Number.isNaN)).toBe(true);
    expect(totals(y)).toEqual({ count: 85, nan: 13, posInf: 1, negInf: 1 });
    // A key with no finite value at all still answers where its values are.
    expect(z).toHaveLength(10);
    expect(totals(z)).toEqual({ count: 0, nan: 50, posInf: 0, negInf: 50 });

    // A caller editing its result does not edit what the next read answers (caches copy).
    (await read({ x: "step" }))[0]![1]!.nonFinite!.nan = 99;
    expect((await read({ x: "step" }))[0]![1]!.nonFinite!.nan).toBe(3);

    // By time, and a zoom that cuts the run: only the points in range are counted.
    const [yt] = await read({ x: "time" });
    expect(totals(yt!)).toEqual(totals(y));
    const [zoomed] = await read({ x: "step", minX: 50, maxX: 95 });
    expect(totals(zoomed!)).toEqual({ count: 38, nan: 6, posInf: 1, negInf: 1 });
    expect(zoomed![0]!.x).toBe(50);
  });

  it("counts non-finite values in a long history whose other chunks are read whole", async () => {
    const id = `nonfinite-long-${Math.random().toString(36).slice(2, 10)}`;
    await store().createRun({ id, project: "proj", name: id, createdAt: Date.now() });
    const n = 10_000;
    const odd = (s: number) => (s === 7_777 ? NAN : s === 7_778 ? INF : s);
    await store().appendHistory(
      id,
      rows(n, (s) => ({ y: odd(s) })),
    );
    const [s] = await store().readSeries({ runIds: [id], keys: ["y"], x: "step", buckets: 2 });
    expect(s!.buckets).toHaveLength(2);
    expect(s!.buckets[0]).toEqual({ x: 0, min: 0, max: 4999, last: 4999, count: 5000 });
    expect(s!.buckets[1]).toEqual({
      x: 4999.5,
      min: 5000,
      max: n - 1,
      last: n - 1,
      count: 4998,
      nonFinite: { nan: 1, posInf: 1, negInf: 0 },
    });
  });
}
