/**
 * The checks history rows, batches, system samples and console lines pass before any backend
 * writes them: one place, so every store refuses the same input with the same message.
 */
import type { HistoryBatch, NumberColumn } from "./history-batch.js";
import { checkKey, checkValue, isKey, isStorable } from "./sqlite/stored-values.js";
import { type ConsoleLine, type HistoryRow, StoreError, type SystemSample } from "./types.js";

export function checkStep(step: unknown, where: string): void {
  if (!Number.isSafeInteger(step) || (step as number) < 0) {
    throw new StoreError(`${where}: invalid step ${JSON.stringify(step)}`, "invalid");
  }
}

export function checkTime(t: unknown, where: string): void {
  if (typeof t !== "number" || !Number.isFinite(t)) {
    throw new StoreError(`${where}: invalid time ${JSON.stringify(t)}`, "invalid");
  }
}

/** Throws StoreError("invalid") naming the first bad row, step, time, key or value. */
export function checkHistoryRows(rows: readonly HistoryRow[]): void {
  if (!Array.isArray(rows)) throw new StoreError("history rows must be an array", "invalid");
  rows.forEach((row, i) => {
    checkStep(row?.step, `history row ${i}`);
    checkTime(row.runtime, `history row ${i} runtime`);
    checkTime(row.timestamp, `history row ${i} timestamp`);
    if (!row.values || typeof row.values !== "object") {
      throw new StoreError(`history row ${i}: values must be an object`, "invalid");
    }
    for (const [k, v] of Object.entries(row.values)) {
      checkKey(k, `history row ${i}`);
      checkValue(v, `history row ${i} key ${JSON.stringify(k)}`);
    }
  });
}

/** Throws StoreError("invalid") naming the first bad step, time, key or value of a batch. */
export function checkHistoryBatch(b: HistoryBatch): void {
  for (let i = 0; i < b.rows; i++) {
    const s = b.steps[i]!;
    if (!Number.isSafeInteger(s) || s < 0) {
      throw new StoreError(`history row ${i}: invalid step ${JSON.stringify(s)}`, "invalid");
    }
    if (!Number.isFinite(b.runtimes[i]) || !Number.isFinite(b.timestamps[i])) {
      throw new StoreError(`history row ${i}: invalid runtime or timestamp`, "invalid");
    }
  }
  // Map#forEach and an indexed loop, not for-of: no iterator protocol in the bytecode of a
  // check every tracked trial's closing write runs; the messages are built for a bad one only.
  b.columns.forEach(checkColumnKey);
  const others = b.others;
  for (let i = 0; i < others.length; i++) {
    const o = others[i];
    if (!isKey(o.key)) checkKey(o.key, `history row ${o.row}`);
    if (!isStorable(o.value))
      checkValue(o.value, `history row ${o.row} key ${JSON.stringify(o.key)}`);
  }
}

function checkColumnKey(_column: NumberColumn, key: string): void {
  checkKey(key, "history");
}

/** Throws StoreError("invalid") naming the first bad sample time, key or non-number value. */
export function checkSystemSamples(samples: readonly SystemSample[]): void {
  samples.forEach((s, i) => {
    checkTime(s?.timestamp, `system sample ${i}`);
    for (const [k, v] of Object.entries(s.values ?? {})) {
      checkKey(k, `system sample ${i}`);
      if (typeof v !== "number") {
        throw new StoreError(
          `system sample ${i} key ${JSON.stringify(k)}: not a number`,
          "invalid",
        );
      }
    }
  });
}

/** Throws StoreError("invalid") naming the first line with a bad stream, time or text. */
export function checkConsoleLines(lines: readonly ConsoleLine[]): void {
  lines.forEach((l, i) => {
    if (l?.stream !== "stdout" && l?.stream !== "stderr") {
      throw new StoreError(
        `console line ${i}: invalid stream ${JSON.stringify(l?.stream)}`,
        "invalid",
      );
    }
    checkTime(l.timestamp, `console line ${i}`);
    if (typeof l.text !== "string") {
      throw new StoreError(`console line ${i}: text must be a string`, "invalid");
    }
  });
}
