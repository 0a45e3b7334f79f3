import { expect, it } from "vitest";
import type { HistoryRow } from "../types.js";
import { CHUNK, MERGE_MAX } from "./chunks.js";
import { MIGRATIONS, SqliteStore } from "./index.js";
import { oldDatabase, tempDirs } from "./sqlite.test-helpers.js";

const tmp = tempDirs("amltk-chunks-");

it("reads ranges, limits and buckets across many chunks exactly as point by point", async () => {
  const store = SqliteStore.openSync(tmp());
  store.createRunSync({ id: "c", project: "p", name: "c", createdAt: 0 });
  const n = CHUNK * 3 + 17;
  const y = (s: number) => (s === 5000 ? -7 : s % 2 === 0 ? Number.NaN : Math.sin(s));
  // Two appends: the second starts mid-way through what a chunk holds.
  const rows = (from: number, to: number): HistoryRow[] =>
    Array.from({ length: to - from }, (_, i) => ({
      step: from + i,
      runtime: from + i,
      timestamp: 1000 + (from + i) / 10,
      values: { y: y(from + i), z: from + i },
    }));
  store.appendHistorySync("c", rows(0, 1000));
  store.appendHistorySync("c", rows(1000, n));
  const pts = await store.readPoints({ runId: "c", key: "y", minStep: 4000, maxStep: 9000 });
  expect(pts).toHaveLength(5001);
  expect(pts[0]).toEqual({ step: 4000, timestamp: 1400, value: Number.NaN });
  expect(pts[1001].value).toBe(Math.sin(5001));
  const limited = await store.readPoints({ runId: "c", key: "y", minStep: 10, limit: CHUNK + 5 });
  expect(limited.map((p) => p.step)).toEqual(Array.from({ length: CHUNK + 5 }, (_, i) => 10 + i));
  expect((await store.getRun("c"))?.nextStep).toBe(n);

  const [s] = await store.readSeries({ runIds: ["c"], keys: ["y"], x: "step", buckets: 7 });
  // Reference computed point by point: the range is every point's (NaN included), finite
  // values aggregated, NaN counted.
  const lo = 0;
  const hi = n - 1;
  const want = new Map<
    number,
    { min: number; max: number; count: number; last: number; nan: number }
  >();
  for (let step = 0; step < n; step++) {
    const v = y(step);
    const bi = Math.min(Math.floor(((step - lo) * 7) / (hi - lo)), 6);
    const b = want.get(bi) ?? { min: v, max: v, count: 0, last: v, nan: 0 };
    want.set(bi, b);
    if (Number.isNaN(v)) {
      b.nan++;
      continue;
    }
    b.min = Number.isNaN(b.min) ? v : Math.min(b.min, v);
    b.max = Number.isNaN(b.max) ? v : Math.max(b.max, v);
    b.count++;
    b.last = v;
  }
  expect(
    s.buckets.map(({ min, max, count, last, nonFinite }) => ({
      min,
      max,
      count,
      last,
      nan: nonFinite?.nan,
    })),
  ).toEqual([...want.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b));
  expect(s.buckets.every((b) => b.nonFinite?.posInf === 0 && b.nonFinite.negInf === 0)).toBe(true);
  expect(s.buckets[0].x).toBe(lo);
  // A range that cuts chunks in the middle, by time.
  const [t] = await store.readSeries({
    runIds: ["c"],
    keys: ["y"],
    x: "time",
    buckets: 2,
    minX: 1000 + 4999 / 10,
    maxX: 1000 + 5001 / 10,
  });
  expect(t.buckets.reduce((c, b) => c + b.count, 0)).toBe(3);
  expect(Math.min(...t.buckets.map((b) => b.min))).toBe(-7);
  // All-finite chunks that sit inside one bucket are read from their aggregates.
  const [z] = await store.readSeries({ runIds: ["c"], keys: ["z"], x: "step", buckets: 2 });
  const mid = (n - 1) / 2; // n is odd: the first step of the second bucket
  expect(z.buckets).toEqual([
    { x: 0, min: 0, max: mid - 1, last: mid - 1, count: mid },
    { x: mid, min: mid, max: n - 1, last: n - 1, count: n - mid },
  ]);
  store.closeSync();
});

it("a rewritten step wins over the earlier write; non-consecutive steps keep their order", async () => {
  const store = SqliteStore.openSync(tmp());
  store.createRunSync({ id: "r", project: "p", name: "r", createdAt: 0 });
  const row = (step: number, v: unknown): HistoryRow => ({
    step,
    runtime: step,
    timestamp: step,
    values: { v } as HistoryRow["values"],
  });
  store.appendHistorySync("r", [row(0, 1), row(5, 2), row(9, 3)]);
  store.appendHistorySync("r", [row(5, 20), row(7, "seven")]);
  const pts = await store.readPoints({ runId: "r", key: "v" });
  expect(pts.map((p) => [p.step, p.value])).toEqual([
    [0, 1],
    [5, 20],
    [7, "seven"],
    [9, 3],
  ]);
  const hist = await store.readHistory("r");
  expect(hist.map((h) => [h.step, h.values.v])).toEqual(pts.map((p) => [p.step, p.value]));
  expect(hist[2]).toEqual({ step: 7, runtime: 7, timestamp: 7, values: { v: "seven" } });
  store.closeSync();
});

it("joins small appends (a live run's flushes) onto the last chunk", async () => {
  const store = SqliteStore.openSync(tmp());
  store.createRunSync({ id: "m", project: "p", name: "m", createdAt: 0 });
  const n = 1000;
  for (let s = 0; s < n; s += 2) {
    store.appendHistorySync("m", [
      { step: s, runtime: s, timestamp: s, values: { a: s, b: -s } },
      { step: s + 1, runtime: s + 1, timestamp: s + 1, values: { a: Number.NaN } },
    ]);
  }
  const count = (sql: string) => (store.db.prepare(sql).get() as { c: number }).c;
  const perKey = Math.ceil(n / MERGE_MAX);
  expect(count("SELECT COUNT(*) AS c FROM history_steps")).toBe(perKey);
  expect(count("SELECT COUNT(*) AS c FROM history_chunks WHERE key = 'a'")).toBe(perKey);
  const a = await store.readPoints({ runId: "m", key: "a" });
  expect(a.map((p) => p.step)).toEqual(Array.from({ length: n }, (_, i) => i));
  expect(a.every((p) => (p.step % 2 ? Number.isNaN(p.value) : p.value === p.step))).toBe(true);
  const b = await store.readPoints({ runId: "m", key: "b", minStep: 500, limit: 3 });
  expect(b.map((p) => [p.step, p.value])).toEqual([
    [500, -500],
    [502, -502],
    [504, -504],
  ]);
  const rows = await store.readHistory("m", { minStep: 997 });
  expect(rows.map((r) => [r.step, r.runtime])).toEqual([
    [997, 997],
    [998, 998],
    [999, 999],
  ]);
  const [sb] = await store.readSeries({ runIds: ["m"], keys: ["b"], x: "step", buckets: 1 });
  expect(sb.buckets).toEqual([{ x: 0, min: -998, max: 0, last: -998, count: n / 2 }]);
  expect((await store.getRun("m"))?.nextStep).toBe(n);
  store.closeSync();
});

it("migrates a version-2 database (per-point rows) into chunks", async () => {
  const dir = tmp();
  const old = oldDatabase(dir, 2, "o");
  const insRow = old.prepare(
    "INSERT INTO history_rows (run, step, runtime, ts) VALUES (?, ?, ?, ?)",
  );
  const insVal = old.prepare(
    "INSERT INTO history_values (run, key, step, kind, num, json) VALUES (?, ?, ?, ?, ?, ?)",
  );
  for (let s = 0; s < 3; s++) insRow.run("o", s, s + 0.5, 100 + s);
  insVal.run("o", "a", 0, 0, 1.5, null);
  insVal.run("o", "a", 1, 1, null, null);
  insVal.run("o", "a", 2, 2, null, null);
  insVal.run("o", "b", 1, 3, null, null);
  insVal.run("o", "s", 2, 4, null, '"txt"');
  old.close();
  const store = SqliteStore.openSync(dir);
  expect(store.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
  const rows = await store.readHistory("o");
  expect(rows).toEqual([
    { step: 0, runtime: 0.5, timestamp: 100, values: { a: 1.5 } },
    {
      step: 1,
      runtime: 1.5,
      timestamp: 101,
      values: { a: Number.NaN, b: Number.NEGATIVE_INFINITY },
    },
    { step: 2, runtime: 2.5, timestamp: 102, values: { a: Number.POSITIVE_INFINITY, s: "txt" } },
  ]);
  expect(await store.readPoints({ runId: "o", key: "s" })).toEqual([
    { step: 2, timestamp: 102, value: "txt" },
  ]);
  expect((await store.getRun("o"))?.nextStep).toBe(3);
  expect((await store.historyKeys("o")).map((k) => [k.key, k.count])).toEqual([
    ["a", 3],
    ["b", 1],
    ["s", 1],
  ]);
  store.closeSync();
});
