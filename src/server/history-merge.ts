/**
 * History columns from the wire into the store's batch form, and several consecutive
 * `history_cols` ops of one request joined into one batch.
 *
 * Why join: the online SDK spools one op per tracker flush (~100 ms) and sends what gathered
 * since its last request as one request (outbox.ts), so a request carries several small ops of
 * the same run. Written one by one, each small op joins the key's last stored chunk (a read and
 * a rewrite of that chunk per key, see the stores' chunk merge); written as one batch they are
 * one chunk append per key. The stored points are the same either way: ops are joined only when
 * their steps, taken together, strictly increase, so no step is written twice and the order of
 * writes cannot matter.
 */
import type { HistoryColumns } from "../protocol/batch.js";
import type { HistoryBatch, NumberColumn, OtherValue } from "../store/history-batch.js";

/** Columns from the wire into the store's batch form (typed arrays). */
export function toBatch(c: HistoryColumns): HistoryBatch {
  return joinColumns([c]);
}

/** True when `b` may follow `a` in one batch: the steps of both, in order, strictly increase. */
export function joinable(a: HistoryColumns, b: HistoryColumns): boolean {
  const n = a.steps.length;
  if (n === 0 || b.steps.length === 0) return false;
  return b.steps[0]! > a.steps[n - 1]! && increasing(a.steps) && increasing(b.steps);
}

function increasing(steps: readonly number[]): boolean {
  for (let i = 1; i < steps.length; i++) if (!(steps[i]! > steps[i - 1]!)) return false;
  return true;
}

/** The ops' rows one after another in one batch (each key's rows shifted by the rows before). */
export function joinColumns(parts: readonly HistoryColumns[]): HistoryBatch {
  let rows = 0;
  const points = new Map<string, number>();
  for (const p of parts) {
    rows += p.steps.length;
    for (const k in p.columns) points.set(k, (points.get(k) ?? 0) + p.columns[k]!.values.length);
  }
  const steps = new Float64Array(rows);
  const runtimes = new Float64Array(rows);
  const timestamps = new Float64Array(rows);
  const columns = new Map<string, NumberColumn>();
  for (const [k, n] of points) {
    columns.set(k, { n: 0, rows: new Int32Array(n), values: new Float64Array(n) });
  }
  const others: OtherValue[] = [];
  let base = 0;
  for (const p of parts) {
    steps.set(p.steps, base);
    runtimes.set(p.runtimes, base);
    timestamps.set(p.timestamps, base);
    for (const k in p.columns) appendColumn(columns.get(k)!, p.columns[k]!, base);
    for (const o of p.others) others.push(base === 0 ? o : { ...o, row: o.row + base });
    base += p.steps.length;
  }
  return { rows, steps, runtimes, timestamps, columns, others };
}

/** One op's column onto the joined one; a dense column (no `rows`) holds every row in order. */
function appendColumn(
  into: NumberColumn,
  col: { rows?: number[]; values: number[] },
  base: number,
): void {
  const n = col.values.length;
  into.values.set(col.values, into.n);
  if (col.rows) for (let i = 0; i < n; i++) into.rows[into.n + i] = col.rows[i]! + base;
  else for (let i = 0; i < n; i++) into.rows[into.n + i] = base + i;
  into.n += n;
}
