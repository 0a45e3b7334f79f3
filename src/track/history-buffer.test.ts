import { expect, it } from "vitest";
import { batchToRows, rowsToBatch } from "../store/history-batch.js";
import { HistoryBuffer } from "./history-buffer.js";

it("keeps numbers in columns and other values aside, and round-trips through rows", () => {
  const b = new HistoryBuffer();
  for (let s = 0; s < 1000; s++) {
    const row = b.addRow(s, s / 10, 1000 + s);
    b.addValues(row, s % 2 ? { x: s, y: Number.NaN } : { x: s, tag: "even", v: [s] });
  }
  expect(b.rows).toBe(1000);
  expect(b.lastStep).toBe(999);
  expect(b.bytes).toBeGreaterThan(1000 * 24 + 1500 * 12);
  const batch = b.take();
  expect(b.rows).toBe(0);
  expect(b.bytes).toBe(0);
  expect(batch.columns.get("x")!.n).toBe(1000);
  expect(batch.columns.get("y")!.n).toBe(500);
  expect(batch.others).toHaveLength(1000);
  const rows = batchToRows(batch);
  expect(rows[3]).toEqual({
    step: 3,
    runtime: 0.3,
    timestamp: 1003,
    values: { x: 3, y: Number.NaN },
  });
  expect(rows[4].values).toEqual({ x: 4, tag: "even", v: [4] });
  expect(batchToRows(rowsToBatch(rows))).toEqual(rows);
});

it("reuses a recycled batch's arrays for the next fill", () => {
  const b = new HistoryBuffer();
  for (let s = 0; s < 5000; s++) b.addNumber(b.addRow(s, 0, 0), "loss", s);
  const first = b.take();
  b.recycle(first);
  // The batch being filled now is handed over next; the one after it fills first's arrays.
  b.take();
  b.addNumber(b.addRow(5000, 0, 0), "loss", 1);
  const third = b.take();
  expect(third.steps).toBe(first.steps);
  expect(third.columns.get("loss")!.values).toBe(first.columns.get("loss")!.values);
  expect(third.rows).toBe(1);
  expect(batchToRows(third)).toEqual([
    { step: 5000, runtime: 0, timestamp: 0, values: { loss: 1 } },
  ]);
});

it("gives a finished run's small arrays to the next run's buffer, without its keys", () => {
  const done = new HistoryBuffer();
  for (let s = 0; s < 11; s++) done.addValues(done.addRow(s, s, 100 + s), { loss: s, cost: 1 });
  const last = done.take();
  done.recycle(last);
  done.release();
  const next = new HistoryBuffer();
  next.addValues(next.addRow(0, 0.5, 200), { acc: 0.75 });
  const batch = next.take();
  // Same arrays, new contents: only the new run's row and key.
  expect(batch.steps).toBe(last.steps);
  const reused = [last.columns.get("loss")!.values, last.columns.get("cost")!.values];
  expect(reused).toContain(batch.columns.get("acc")!.values);
  expect([...batch.columns.keys()]).toEqual(["acc"]);
  expect(batchToRows(batch)).toEqual([
    { step: 0, runtime: 0.5, timestamp: 200, values: { acc: 0.75 } },
  ]);
});

it("keeps no arrays of a long run after it is released", () => {
  const long = new HistoryBuffer();
  for (let s = 0; s < 5000; s++) long.addNumber(long.addRow(s, 0, 0), "loss", s);
  const last = long.take();
  long.recycle(last);
  long.release();
  const next = new HistoryBuffer();
  next.addNumber(next.addRow(0, 0, 0), "loss", 1);
  const batch = next.take();
  expect(batch.steps).not.toBe(last.steps);
  expect(batch.columns.get("loss")!.values).not.toBe(last.columns.get("loss")!.values);
});
