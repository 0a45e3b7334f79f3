import { expect, it } from "vitest";
import { batchToRows } from "../store/history-batch.js";
import { HistoryBuffer } from "./history-buffer.js";
import { RunSteps } from "./run-steps.js";
import { SummaryState } from "./summary.js";

/** Logs `rows` into fresh steps, through `log(row)` or `log(row, opts)`, and returns what was kept. */
function logged(rows: Record<string, unknown>[], opts?: { commit: boolean }) {
  const buffer = new HistoryBuffer();
  const summary = new SummaryState();
  summary.define("loss", { summary: "min" });
  const bounds = { maxRows: 1e6, maxBytes: 1 << 20 };
  const steps = new RunSteps(0, Date.now(), buffer, summary, bounds, () => {});
  for (const row of rows) steps.log(row, opts);
  const kept = batchToRows(buffer.take()).map((r) => ({ step: r.step, values: r.values }));
  return { kept, summary: { ...summary.values }, step: steps.step };
}

it("keeps a flat row of numbers, strings and booleans as the general path does", () => {
  // A row like the W&B plugin's report row takes `log`'s fast path; an explicit `commit: true`
  // sends the same rows through the general path (flatten, pending row, commit).
  const rows = [
    { loss: 2, status: "success", ok: true },
    { loss: 1, status: "fail", ok: false, "metric/cost": 3 },
    { nested: { a: 1 }, loss: 3 },
  ];
  const fast = logged(rows);
  const general = logged(rows, { commit: true });
  expect(fast).toEqual(general);
  expect(fast.kept[1]).toEqual({
    step: 1,
    values: { loss: 1, status: "fail", ok: false, "metric/cost": 3 },
  });
  expect(fast.summary).toEqual({
    loss: { min: 1 },
    status: "fail",
    ok: false,
    "metric/cost": 3,
    "nested/a": 1,
  });
  expect(fast.step).toBe(3);
});
