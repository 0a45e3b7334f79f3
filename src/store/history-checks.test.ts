import { expect, it } from "vitest";
import type { HistoryBatch } from "./history-batch.js";
import { checkHistoryBatch } from "./history-checks.js";

function batch(others: HistoryBatch["others"], key = "loss"): HistoryBatch {
  const columns = new Map([[key, { n: 1, rows: Int32Array.of(0), values: Float64Array.of(1) }]]);
  return {
    rows: 1,
    steps: Float64Array.of(0),
    runtimes: Float64Array.of(0),
    timestamps: Float64Array.of(1),
    columns,
    others,
  };
}

it("passes a batch of numbers and plain other values", () => {
  expect(() => checkHistoryBatch(batch([{ row: 0, key: "status", value: "ok" }]))).not.toThrow();
});

it("names the row and key of a bad other value, and a bad key", () => {
  const bad = { row: 0, key: "when", value: new Date(0) as never };
  expect(() => checkHistoryBatch(batch([bad]))).toThrow(/history row 0 key "when"/);
  expect(() => checkHistoryBatch(batch([{ row: 0, key: "", value: 1 }]))).toThrow(
    /history row 0: invalid key ""/,
  );
  expect(() => checkHistoryBatch(batch([], "x".repeat(513)))).toThrow(/history: invalid key/);
});
