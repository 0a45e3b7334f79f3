/** History rows/values, system samples and console lines. */
import {
  type ConsoleLine,
  type HistoryKeyInfo,
  type HistoryRow,
  type Point,
  type PointQuery,
  StoreError,
  type SystemSample,
} from "../types.js";
import { type Db, writeTx } from "./db.js";
import { requireRun } from "./runs.js";
import { checkKey, checkValue, decodeValue, encodeValue } from "./values.js";

function checkStep(step: unknown, where: string): void {
  if (!Number.isSafeInteger(step) || (step as number) < 0) {
    throw new StoreError(`${where}: invalid step ${JSON.stringify(step)}`, "invalid");
  }
}

function checkTime(t: unknown, where: string): void {
  if (typeof t !== "number" || !Number.isFinite(t)) {
    throw new StoreError(`${where}: invalid time ${JSON.stringify(t)}`, "invalid");
  }
}

export function appendHistoryRows(db: Db, runId: string, rows: readonly HistoryRow[]): void {
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
  writeTx(db, () => {
    requireRun(db, runId);
    const insRow = db.prepare(
      "INSERT OR REPLACE INTO history_rows (run, step, runtime, ts) VALUES (?, ?, ?, ?)",
    );
    const insVal = db.prepare(
      "INSERT OR REPLACE INTO history_values (run, key, step, kind, num, json) VALUES (?, ?, ?, ?, ?, ?)",
    );
    for (const row of rows) {
      insRow.run(runId, row.step, row.runtime, row.timestamp);
      for (const [k, v] of Object.entries(row.values)) {
        insVal.run(runId, k, row.step, ...encodeValue(v));
      }
    }
  });
}

interface ValRow {
  step: number;
  key: string;
  kind: number;
  num: number | null;
  json: string | null;
}

export function readHistoryRows(
  db: Db,
  runId: string,
  opts: { minStep?: number; maxStep?: number; limit?: number } = {},
): HistoryRow[] {
  requireRun(db, runId);
  const rows = db
    .prepare(
      `SELECT step, runtime, ts FROM history_rows WHERE run = ? AND step >= ? AND step <= ?
       ORDER BY step LIMIT ?`,
    )
    .all(runId, opts.minStep ?? 0, opts.maxStep ?? Number.MAX_SAFE_INTEGER, opts.limit ?? -1) as {
    step: number;
    runtime: number;
    ts: number;
  }[];
  if (rows.length === 0) return [];
  const byStep = new Map<number, HistoryRow>();
  const out = rows.map((r) => {
    const h: HistoryRow = { step: r.step, runtime: r.runtime, timestamp: r.ts, values: {} };
    byStep.set(r.step, h);
    return h;
  });
  const vals = db
    .prepare(
      `SELECT step, key, kind, num, json FROM history_values WHERE run = ? AND step >= ? AND step <= ?`,
    )
    .all(runId, rows[0].step, rows[rows.length - 1].step) as ValRow[];
  for (const v of vals) {
    const h = byStep.get(v.step);
    if (h) h.values[v.key] = decodeValue(v.kind, v.num, v.json);
  }
  return out;
}

export function readPointRows(db: Db, q: PointQuery): Point[] {
  requireRun(db, q.runId);
  checkKey(q.key, "readPoints");
  const rows = db
    .prepare(
      `SELECT v.step, v.kind, v.num, v.json, r.ts FROM history_values v
       JOIN history_rows r ON r.run = v.run AND r.step = v.step
       WHERE v.run = ? AND v.key = ? AND v.step >= ? AND v.step <= ? ORDER BY v.step LIMIT ?`,
    )
    .all(
      q.runId,
      q.key,
      q.minStep ?? 0,
      q.maxStep ?? Number.MAX_SAFE_INTEGER,
      q.limit ?? -1,
    ) as (ValRow & { ts: number })[];
  return rows.map((r) => ({
    step: r.step,
    timestamp: r.ts,
    value: decodeValue(r.kind, r.num, r.json),
  }));
}

export function historyKeyRows(db: Db, runId: string): HistoryKeyInfo[] {
  requireRun(db, runId);
  return db
    .prepare(
      `SELECT key, COUNT(*) AS count, MIN(step) AS minStep, MAX(step) AS maxStep
       FROM history_values WHERE run = ? GROUP BY key ORDER BY key`,
    )
    .all(runId) as HistoryKeyInfo[];
}

export function appendSystemRows(db: Db, runId: string, samples: readonly SystemSample[]): void {
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
  writeTx(db, () => {
    requireRun(db, runId);
    const ins = db.prepare(
      "INSERT OR REPLACE INTO system_values (run, key, ts, num) VALUES (?, ?, ?, ?)",
    );
    for (const s of samples) {
      for (const [k, v] of Object.entries(s.values)) {
        ins.run(runId, k, s.timestamp, Number.isFinite(v) ? v : null);
      }
    }
  });
}

export function appendConsoleRows(db: Db, runId: string, lines: readonly ConsoleLine[]): void {
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
  writeTx(db, () => {
    requireRun(db, runId);
    let seq = (
      db
        .prepare("SELECT COALESCE(MAX(seq) + 1, 0) AS s FROM console_lines WHERE run = ?")
        .get(runId) as { s: number }
    ).s;
    const ins = db.prepare(
      "INSERT INTO console_lines (run, seq, stream, ts, text) VALUES (?, ?, ?, ?, ?)",
    );
    for (const l of lines) ins.run(runId, seq++, l.stream, l.timestamp, l.text);
  });
}

export function readConsoleRows(
  db: Db,
  runId: string,
  opts: { offset?: number; limit?: number } = {},
): ConsoleLine[] {
  requireRun(db, runId);
  return db
    .prepare(
      `SELECT stream, ts AS timestamp, text FROM console_lines WHERE run = ?
       ORDER BY seq LIMIT ? OFFSET ?`,
    )
    .all(runId, opts.limit ?? -1, opts.offset ?? 0) as ConsoleLine[];
}
