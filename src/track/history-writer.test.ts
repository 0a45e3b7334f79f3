import { expect, it } from "vitest";
import { batchToRows, rowsToBatch } from "../store/history-batch.js";
import type { HistoryRow } from "../store/types.js";
import { concat } from "./history-writer.js";

const rows = (from: number, n: number, extra: Record<string, unknown> = {}): HistoryRow[] =>
  Array.from({ length: n }, (_, i) => ({
    step: from + i,
    runtime: from + i,
    timestamp: 1_700_000_000 + from + i,
    values: {
      loss: from + i,
      ...(i % 2 === 0 ? { acc: -i } : {}),
      ...extra,
    } as HistoryRow["values"],
  }));

it("concat joins batches into one with the same rows in order", () => {
  const parts = [rows(0, 3), rows(3, 4, { tag: "b" }), rows(7, 1)];
  const joined = concat(parts.map(rowsToBatch));
  expect(joined.rows).toBe(8);
  expect(batchToRows(joined)).toEqual(parts.flat());
});
