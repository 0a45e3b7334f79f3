/** Per-op facts the outbox needs without parsing its JSON again: request sizing and reports. */
import { type Op, opRows, opWeight } from "../../protocol/batch.js";

/** Counts of ops and of history points (one per logged value). */
export interface OpCounts {
  ops: number;
  points: number;
}

export interface OpInfo {
  rows: number;
  weight: number;
  points: number;
}

/** Per-request caps (below the server's LIMITS). */
const REQ_OPS = 500;
const REQ_ROWS = 20_000;
const REQ_POINTS = 300_000;

/** History points in an op: one per logged value, as the store counts them. */
export function opPoints(op: Op): number {
  if (op.type === "history_cols") {
    let n = op.cols.others.length;
    for (const k in op.cols.columns) n += op.cols.columns[k].values.length;
    return n;
  }
  if (op.type === "history") {
    let n = 0;
    for (const r of op.rows) n += Object.keys(r.values).length;
    return n;
  }
  return 0;
}

export function opInfo(op: Op): OpInfo {
  return { rows: opRows(op), weight: opWeight(op), points: opPoints(op) };
}

/** End index of the next request's slice starting at `from`. */
export function chunkEnd(info: readonly OpInfo[], from: number): number {
  let rows = 0;
  let points = 0;
  let i = from;
  while (i < info.length && i - from < REQ_OPS) {
    const { rows: r, weight: w } = info[i];
    if (i > from && (rows + r > REQ_ROWS || points + w > REQ_POINTS)) break;
    rows += r;
    points += w;
    i++;
  }
  return i;
}
