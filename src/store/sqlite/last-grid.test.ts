/**
 * The grouped chart's grid (`last-grid.ts`) says what the series buckets say of each bucket's
 * last finite value and non-finite counts, on every path: consecutive and gapped steps, a
 * packed short run, NaN/±Infinity inside a bucket and at its end, time axes and per-run offsets.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rowsToBatch } from "../history-batch.js";
import type { HistoryRow } from "../types.js";
import { SqliteStore } from "./index.js";
import { type LastGrid, type LastGridQuery, readLastGridRows } from "./last-grid.js";
import { withReadPool } from "./read-pool-store.js";

const T0 = 1_764_000_000;
const dir = mkdtempSync(join(tmpdir(), "amltk-last-grid-"));
let store: SqliteStore;

/** Values with NaN and ±Infinity sprinkled in, some at the end of a bucket. */
const value = (s: number) =>
  s % 97 === 49
    ? Number.NaN
    : s % 131 === 7
      ? Number.POSITIVE_INFINITY
      : s % 151 === 11
        ? Number.NEGATIVE_INFINITY
        : Math.sin(s * 0.37) * s;

const rows = (steps: number[], t0: number): HistoryRow[] =>
  steps.map((s) => ({ step: s, runtime: s, timestamp: t0 + s * 0.5, values: { v: value(s) } }));

beforeAll(async () => {
  store = await SqliteStore.open(dir);
  const runs: [string, number[]][] = [
    // Consecutive steps over several chunks.
    ["consecutive", Array.from({ length: 10_000 }, (_, i) => i)],
    // Every third step: stored steps, not consecutive.
    ["gapped", Array.from({ length: 3_000 }, (_, i) => 3 * i + 1)],
    // Starts late: empty buckets before it.
    ["late", Array.from({ length: 2_000 }, (_, i) => 6_000 + i)],
  ];
  for (const [k, [id, steps]] of runs.entries()) {
    await store.createRun({ id, project: "p", name: id, createdAt: (T0 + k * 100) * 1000 });
    await store.appendHistory(id, rows(steps, T0 + k * 100));
  }
  // A short run closed with its whole history: one pack in its run row.
  store.createRunSync({ id: "packed", project: "p", name: "packed", createdAt: T0 * 1000 });
  store.writeRunSync("packed", {
    history: [
      rowsToBatch(
        rows(
          Array.from({ length: 40 }, (_, i) => i * 5),
          T0,
        ),
      ),
    ],
    fresh: true,
    patch: { state: "finished", exitCode: 0 },
  });
  const pack = store.db.prepare("SELECT history_pack AS p FROM runs WHERE id = 'packed'").get();
  expect((pack as { p: Buffer | null }).p).not.toBeNull();
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The grid as the series buckets give it (each bucket's x is its left edge). */
async function fromSeries(q: LastGridQuery): Promise<LastGrid> {
  const n = q.buckets;
  const g: LastGrid = {
    runIds: [...q.runIds],
    buckets: n,
    last: new Float64Array(q.runIds.length * n).fill(Number.NaN),
    nonFinite: null,
  };
  for (const [row, id] of q.runIds.entries()) {
    const off = q.offsets?.[row] ?? 0;
    const [lo, hi] = [q.minX + off, q.maxX + off];
    const [s] = await store.readSeries({
      runIds: [id],
      keys: [q.key],
      x: q.x,
      buckets: n,
      minX: lo,
      maxX: hi,
    });
    for (const b of s?.buckets ?? []) {
      const k = hi > lo ? Math.round(((b.x - lo) * n) / (hi - lo)) : 0;
      if (b.count > 0) g.last[row * n + k] = b.last;
      if (b.nonFinite) {
        g.nonFinite ??= new Float64Array(q.runIds.length * n * 3);
        g.nonFinite.set(
          [b.nonFinite.nan, b.nonFinite.posInf, b.nonFinite.negInf],
          (row * n + k) * 3,
        );
      }
    }
  }
  return g;
}

const same = (a: LastGrid, b: LastGrid) => {
  expect(a.runIds).toEqual(b.runIds);
  expect([...a.last]).toEqual([...b.last]);
  expect(a.nonFinite && [...a.nonFinite]).toEqual(b.nonFinite && [...b.nonFinite]);
};

const ALL = ["consecutive", "gapped", "late", "packed", "missing"];

it("gives each bucket's last finite value and non-finite counts as the series buckets do", async () => {
  for (const buckets of [1, 7, 200, 3_000]) {
    for (const [minX, maxX] of [
      [0, 9_999],
      [1_234, 5_678],
      [0, 100],
    ] as const) {
      const q: LastGridQuery = { runIds: ALL, key: "v", x: "step", buckets, minX, maxX };
      const grid = readLastGridRows(store.db, q);
      same(grid, await fromSeries(q));
    }
  }
  // Some bucket holds a non-finite value, and some run has no value at all.
  const g = readLastGridRows(store.db, {
    runIds: ALL,
    key: "v",
    x: "step",
    buckets: 50,
    minX: 0,
    maxX: 9_999,
  });
  expect(g.nonFinite?.some((c) => c > 0)).toBe(true);
  expect(g.last.subarray(4 * 50, 5 * 50).every(Number.isNaN)).toBe(true);
});

it("bins by time, and by time since each run's start", async () => {
  const byTime: LastGridQuery = {
    runIds: ALL,
    key: "v",
    x: "time",
    buckets: 90,
    minX: T0,
    maxX: T0 + 5_000,
  };
  same(readLastGridRows(store.db, byTime), await fromSeries(byTime));
  const since: LastGridQuery = {
    ...byTime,
    minX: 0,
    maxX: 4_000,
    offsets: ALL.map((_, k) => T0 + (k < 3 ? k * 100 : 0)),
  };
  same(readLastGridRows(store.db, since), await fromSeries(since));
});

it("answers the same from a read thread", async () => {
  const pooled = withReadPool(store, 1)!;
  try {
    await pooled.pool.start();
    const q: LastGridQuery = {
      runIds: ALL,
      key: "v",
      x: "step",
      buckets: 64,
      minX: 0,
      maxX: 9_999,
    };
    same(await pooled.readLastGrid(q), readLastGridRows(store.db, q));
    expect(pooled.pool.served).toEqual([1]);
  } finally {
    await pooled.closeReads();
  }
});
