/** Cutting columnar history (the wire form of `history_cols` ops) into row ranges. */
import type { HistoryColumns } from "../../protocol/batch.js";

/** Rows [from, to) of columnar history, row indices rebased. Column rows ascend. */
export function sliceColumns(c: HistoryColumns, from: number, to: number): HistoryColumns {
  const columns: HistoryColumns["columns"] = {};
  for (const k in c.columns) {
    const col = c.columns[k];
    if (!col.rows) {
      columns[k] = { values: col.values.slice(from, to) };
      continue;
    }
    const lo = lowerBound(col.rows, from);
    const hi = lowerBound(col.rows, to);
    if (hi > lo) {
      columns[k] = {
        rows: col.rows.slice(lo, hi).map((r) => r - from),
        values: col.values.slice(lo, hi),
      };
    }
  }
  return {
    steps: c.steps.slice(from, to),
    runtimes: c.runtimes.slice(from, to),
    timestamps: c.timestamps.slice(from, to),
    columns,
    others: c.others
      .filter((o) => o.row >= from && o.row < to)
      .map((o) => ({ ...o, row: o.row - from })),
  };
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
