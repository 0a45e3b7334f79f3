/** Downsampling equals a point-by-point reference for every path (aggregates, index ranges, x arrays). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { SeriesBucket, SeriesQuery } from "../types.js";
import { CHUNK } from "./chunks.js";
import { SqliteStore } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "amltk-series-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic values with NaNs and ±Infinity sprinkled in, so buckets skip some points. */
const value = (s: number) =>
  s % 97 === 3
    ? Number.NaN
    : s % 131 === 7
      ? Number.POSITIVE_INFINITY
      : s % 151 === 11
        ? Number.NEGATIVE_INFINITY
        : Math.sin(s * 0.37) * s;

/** Point by point: the range of every point in range, finite values aggregated, others counted. */
function reference(
  pts: { x: number; v: number }[],
  buckets: number,
  minX?: number,
  maxX?: number,
): SeriesBucket[] {
  const ok = pts.filter(
    (p) => (minX === undefined || p.x >= minX) && (maxX === undefined || p.x <= maxX),
  );
  if (ok.length === 0) return [];
  const lo = minX ?? Math.min(...ok.map((p) => p.x));
  const hi = maxX ?? Math.max(...ok.map((p) => p.x));
  const span = hi - lo;
  const out = new Map<number, SeriesBucket>();
  for (const p of ok) {
    const bi = span > 0 ? Math.min(Math.floor(((p.x - lo) * buckets) / span), buckets - 1) : 0;
    let b = out.get(bi);
    if (!b) {
      const x = lo + (bi * span) / buckets;
      b = { x, min: Number.NaN, max: Number.NaN, last: Number.NaN, count: 0 };
      out.set(bi, b);
    }
    if (!Number.isFinite(p.v)) {
      b.nonFinite ??= { nan: 0, posInf: 0, negInf: 0 };
      if (Number.isNaN(p.v)) b.nonFinite.nan++;
      else if (p.v > 0) b.nonFinite.posInf++;
      else b.nonFinite.negInf++;
      continue;
    }
    b.min = b.count === 0 ? p.v : Math.min(b.min, p.v);
    b.max = b.count === 0 ? p.v : Math.max(b.max, p.v);
    b.last = p.v;
    b.count++;
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
}

it("matches the point-by-point reference for consecutive and gapped steps, by step and by time", async () => {
  const store = SqliteStore.openSync(dir);
  const n = CHUNK * 2 + 333;
  // "seq": consecutive steps from 5 (no steps BLOB); "gap": every third step (steps stored).
  const runs = { seq: (i: number) => 5 + i, gap: (i: number) => 3 * i };
  for (const [id, stepOf] of Object.entries(runs)) {
    store.createRunSync({ id, project: "p", name: id, createdAt: 0 });
    // Two writes so the second starts in the middle of what a chunk holds.
    const rows = (a: number, b: number) =>
      Array.from({ length: b - a }, (_, k) => {
        const s = stepOf(a + k);
        return { step: s, runtime: s, timestamp: 100 + s / 4, values: { y: value(s) } };
      });
    store.appendHistorySync(id, rows(0, 1500));
    store.appendHistorySync(id, rows(1500, n));
  }
  const cases: Omit<SeriesQuery, "runIds" | "keys">[] = [];
  for (const buckets of [1, 2, 3, 7, 200, 999, 10_000]) {
    cases.push({ x: "step", buckets }, { x: "time", buckets });
  }
  cases.push(
    { x: "step", buckets: 13, minX: 1000.5, maxX: 6001 },
    { x: "step", buckets: 50, minX: -10, maxX: 4200 },
    { x: "step", buckets: 4, minX: 4100, maxX: 4100 },
    { x: "time", buckets: 17, minX: 400, maxX: 1000 },
  );
  for (const [id, stepOf] of Object.entries(runs)) {
    const pts = Array.from({ length: n }, (_, i) => stepOf(i));
    for (const c of cases) {
      const [got] = await store.readSeries({ ...c, runIds: [id], keys: ["y"] });
      const ref = reference(
        pts.map((s) => ({ x: c.x === "time" ? 100 + s / 4 : s, v: value(s) })),
        c.buckets,
        c.minX,
        c.maxX,
      );
      expect(got.buckets, `${id} ${JSON.stringify(c)}`).toEqual(ref);
    }
  }
  await store.close();
});

it("never serves stale buckets: appends, a re-created run and another connection's writes show", async () => {
  const d = mkdtempSync(join(tmpdir(), "amltk-series-cache-"));
  const a = SqliteStore.openSync(d);
  const b = SqliteStore.openSync(d);
  const q = { runIds: ["r"], keys: ["y"], x: "step", buckets: 4 } as const;
  const write = (store: SqliteStore, from: number, to: number, v: number) =>
    store.appendHistorySync(
      "r",
      Array.from({ length: to - from }, (_, i) => ({
        step: from + i,
        runtime: 0,
        timestamp: 1,
        values: { y: v },
      })),
    );
  const lasts = async (store: SqliteStore) =>
    (await store.readSeries(q))[0]!.buckets.map((x) => x.last);
  a.createRunSync({ id: "r", project: "p", name: "r", createdAt: 0 });
  write(a, 0, 8, 1);
  expect(await lasts(a)).toEqual([1, 1, 1, 1]);
  // A caller editing its result does not edit what the next caller gets.
  (await a.readSeries(q))[0]!.buckets[0]!.last = 99;
  expect(await lasts(a)).toEqual([1, 1, 1, 1]);
  write(a, 8, 16, 2); // this connection
  expect(await lasts(a)).toEqual([1, 1, 2, 2]);
  write(b, 16, 32, 3); // another connection
  expect(await lasts(a)).toEqual([1, 2, 3, 3]);
  // Same id, same steps, other values.
  await a.deleteRun("r");
  a.createRunSync({ id: "r", project: "p", name: "r", createdAt: 0 });
  write(a, 0, 8, 1);
  write(a, 8, 16, 2);
  write(a, 16, 32, 4);
  expect(await lasts(a)).toEqual([1, 2, 4, 4]);
  await a.close();
  await b.close();
  rmSync(d, { recursive: true, force: true });
});
