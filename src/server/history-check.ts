/**
 * The ingest hot path, checked by hand: the points of history rows and history columns. The
 * rest of every request is a valibot schema (`request-schemas.ts`); these two are schemas there
 * only as far as "an array" / "an object", then every point is checked here.
 *
 * Why by hand (`node --import tsx bench/validate.ts`, best of 60, one op of 10,000 rows x 10
 * numeric keys, on the shared 2-core dev machine at load 7-10): checking the columnar form the
 * SDK sends costs 0.3-1 ms by hand against ~7.5 ms as the same rules in valibot (its
 * `JSON.parse`: 11 ms, so the schema adds ~70% to the request's CPU); the row form costs ~2 ms
 * by hand against 30-44 ms in valibot (its parse: 19 ms, the schema more than doubles it).
 * The server is single-threaded: that time is taken from every other request. End to end
 * (`bench/ingest.ts --seconds 10`, 50 runs, twice each way) the two were within the noise of
 * that loaded machine (hand 126-160k, valibot 141-152k points/s), so the case rests on the
 * per-request cost above. Everything is still checked before anything is written: bad input
 * is a 400 naming the field, never a partial write.
 */

import { type HistoryColumns, LIMITS, type Op, opRows } from "../protocol/batch.js";
import type { HistoryRow } from "../store/types.js";
import { invalid } from "./errors.js";
import { checkDepth, kindOf } from "./json-value.js";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) throw invalid(field, `must be an object, got ${kindOf(v)}`);
  return v;
}

function arr(v: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw invalid(field, `must be an array, got ${kindOf(v)}`);
  if (v.length > max) throw invalid(field, `at most ${max} items per request, got ${v.length}`);
  return v;
}

function str(v: unknown, field: string, max = 4096): string {
  if (typeof v !== "string") throw invalid(field, `must be a string, got ${kindOf(v)}`);
  if (v.length > max) throw invalid(field, `longer than ${max} characters`);
  return v;
}

function num(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw invalid(field, `must be a finite number, got ${JSON.stringify(v) ?? kindOf(v)}`);
  }
  return v;
}

function step(v: unknown, field: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) {
    throw invalid(field, `must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  return v as number;
}

function key(k: string, field: string): void {
  if (k.length === 0 || k.length > LIMITS.keyLength) {
    throw invalid(field, `key must be 1..${LIMITS.keyLength} characters`);
  }
}

/** History rows, every point (`field` is e.g. `ops[2].rows`); returns them as typed. */
export function historyRows(v: unknown, field: string): HistoryRow[] {
  const rows = arr(v, field, LIMITS.rowsPerRequest);
  for (let i = 0; i < rows.length; i++) {
    const f = `${field}[${i}]`;
    const r = obj(rows[i], f);
    step(r.step, `${f}.step`);
    num(r.runtime, `${f}.runtime`);
    num(r.timestamp, `${f}.timestamp`);
    const vals = obj(r.values, `${f}.values`);
    for (const k in vals) {
      key(k, `${f}.values`);
      const x = vals[k];
      if (typeof x !== "number") checkDepth(x, `${f}.values.${k}`);
    }
  }
  return rows as HistoryRow[];
}

function numArray(v: unknown, field: string, n: number, finite: boolean): number[] {
  if (!Array.isArray(v)) throw invalid(field, `must be an array, got ${kindOf(v)}`);
  if (v.length !== n) throw invalid(field, `must have ${n} entries, got ${v.length}`);
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (typeof x !== "number" || (finite && !Number.isFinite(x))) {
      throw invalid(`${field}[${i}]`, `must be a ${finite ? "finite " : ""}number`);
    }
  }
  return v as number[];
}

/** Columnar history (see `HistoryColumns`): lengths agree, row indices ascend and are in range. */
export function historyColumns(v: unknown, field: string): HistoryColumns {
  const o = obj(v, field);
  if (!Array.isArray(o.steps)) throw invalid(`${field}.steps`, "must be an array");
  const n = o.steps.length;
  if (n > LIMITS.rowsPerRequest) {
    throw invalid(`${field}.steps`, `at most ${LIMITS.rowsPerRequest} rows per op, got ${n}`);
  }
  const steps = numArray(o.steps, `${field}.steps`, n, true);
  for (let i = 0; i < n; i++) step(steps[i], `${field}.steps[${i}]`);
  numArray(o.runtimes, `${field}.runtimes`, n, true);
  numArray(o.timestamps, `${field}.timestamps`, n, true);
  const cols = obj(o.columns, `${field}.columns`);
  for (const k in cols) {
    const f = `${field}.columns.${k}`;
    key(k, `${field}.columns`);
    const c = obj(cols[k], f);
    if (c.rows === undefined) {
      numArray(c.values, `${f}.values`, n, false);
      continue;
    }
    if (!Array.isArray(c.rows)) throw invalid(`${f}.rows`, "must be an array");
    const rows = numArray(c.rows, `${f}.rows`, c.rows.length, true);
    let prev = -1;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!Number.isInteger(r) || r <= prev || r >= n) {
        throw invalid(`${f}.rows[${i}]`, `must be an ascending row index below ${n}`);
      }
      prev = r;
    }
    numArray(c.values, `${f}.values`, rows.length, false);
  }
  const others = arr(o.others ?? [], `${field}.others`, LIMITS.rowsPerRequest * 10);
  for (let i = 0; i < others.length; i++) {
    const x = obj(others[i], `${field}.others[${i}]`);
    if (!Number.isInteger(x.row) || (x.row as number) < 0 || (x.row as number) >= n) {
      throw invalid(`${field}.others[${i}].row`, `must be a row index below ${n}`);
    }
    key(str(x.key, `${field}.others[${i}].key`, LIMITS.keyLength), `${field}.others[${i}].key`);
    checkDepth(x.value, `${field}.others[${i}].value`);
  }
  return { ...(o as unknown as HistoryColumns), others: others as HistoryColumns["others"] };
}

/**
 * What a batch's schema cannot say: the points of its history ops (by hand, see above), `seq`
 * increasing within the batch and the batch's total of history rows. `field(i)` names op `i`.
 */
export function checkOps(ops: Op[], field: (i: number) => string): Op[] {
  let rows = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.type === "history") historyRows(op.rows, `${field(i)}.rows`);
    else if (op.type === "history_cols") op.cols = historyColumns(op.cols, `${field(i)}.cols`);
    if (i > 0 && op.seq <= ops[i - 1].seq) {
      throw invalid(`${field(i)}.seq`, "sequence numbers must increase within a batch");
    }
    rows += opRows(op);
  }
  if (rows > LIMITS.rowsPerRequest * 5) {
    throw invalid("ops", `at most ${LIMITS.rowsPerRequest * 5} history rows per batch`);
  }
  return ops;
}
