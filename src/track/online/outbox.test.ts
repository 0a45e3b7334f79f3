import { describe, expect, it } from "vitest";
import type { HistoryColumns } from "../../protocol/batch.js";
import { sliceColumns } from "./slice-columns.js";

describe("sliceColumns", () => {
  it("cuts rows [from, to) of dense and sparse columns and rebases row indices", () => {
    const cols: HistoryColumns = {
      steps: [10, 11, 12, 13, 14],
      runtimes: [0, 1, 2, 3, 4],
      timestamps: [5, 6, 7, 8, 9],
      columns: {
        dense: { values: [0, 1, 2, 3, 4] },
        sparse: { rows: [0, 3, 4], values: [7, 8, 9] },
      },
      others: [
        { row: 1, key: "s", value: "a" },
        { row: 3, key: "s", value: "b" },
      ],
    };
    expect(sliceColumns(cols, 2, 4)).toEqual({
      steps: [12, 13],
      runtimes: [2, 3],
      timestamps: [7, 8],
      columns: { dense: { values: [2, 3] }, sparse: { rows: [1], values: [8] } },
      others: [{ row: 1, key: "s", value: "b" }],
    });
    expect(sliceColumns(cols, 1, 3).columns.sparse).toBeUndefined();
  });
});
