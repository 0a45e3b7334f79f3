/**
 * Counting for the fault suite: what a store holds for a run, and what an online writer's spool
 * held when it died. A point is one (key, step) pair; the writer logs keys `a` and `b` at every
 * step, with values that name their step, so a stored point can be checked, not only counted.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Op } from "../../src/protocol/batch.js";
import { decodeJson } from "../../src/shared/json-numbers.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";

/** The keys the writer logs at every step, and the value it logs for each. */
export const KEYS = ["a", "b"] as const;
export function loggedValue(key: string, step: number): number {
  return key === "a" ? step : step / 4;
}

/** Steps per key. */
export type Points = Map<string, Set<number>>;

function emptyPoints(): Points {
  return new Map(KEYS.map((k) => [k, new Set<number>()]));
}

export function size(points: Points): number {
  let n = 0;
  for (const steps of points.values()) n += steps.size;
  return n;
}

/** Points of `want` that `have` lacks. */
export function missing(want: Points, have: Points): number {
  let n = 0;
  for (const [key, steps] of want) {
    const got = have.get(key);
    for (const s of steps) if (!got?.has(s)) n++;
  }
  return n;
}

/** Every key at steps 0..rows-1: what `rows` logged rows are. */
export function firstRows(rows: number): Points {
  const p = emptyPoints();
  for (const steps of p.values()) for (let s = 0; s < rows; s++) steps.add(s);
  return p;
}

/** What a store holds for one run. */
export interface StoreCount {
  run: { state: string; exitCode: number | null } | null;
  /** Distinct points. */
  points: Points;
  /**
   * Points written more than once at the same (key, step). Readers see one value per step (a
   * step written again replaces the earlier one), so this is counted in the history chunks
   * themselves (`n` per chunk): an op applied twice by the server shows here and nowhere else.
   */
  doubled: number;
  /** Stored points whose value is not the one logged at their step. */
  wrongValue: number;
  /** The highest stored step (-1 when none). */
  maxStep: number;
}

/** Reads run `runId` from the SQLite store in `dir` (opened here, closed before returning). */
export async function countStore(dir: string, runId: string): Promise<StoreCount> {
  const store = await SqliteStore.open(dir);
  try {
    const rec = await store.getRun(runId);
    const points = emptyPoints();
    let doubled = 0;
    let wrongValue = 0;
    let maxStep = -1;
    // A run the store never got (its create lost) holds no points; reading them would throw.
    for (const key of rec ? KEYS : []) {
      const steps = points.get(key)!;
      let seenTwice = 0;
      for (const p of await store.readPoints({ runId, key })) {
        if (steps.has(p.step)) seenTwice++;
        steps.add(p.step);
        if (p.value !== loggedValue(key, p.step)) wrongValue++;
        if (p.step > maxStep) maxStep = p.step;
      }
      // A double a reader sees is among those written, so the larger count holds both.
      doubled += Math.max(seenTwice, writtenPoints(store, runId, key) - steps.size);
    }
    const run = rec ? { state: rec.state, exitCode: rec.exitCode } : null;
    return { run, points, doubled, wrongValue, maxStep };
  } finally {
    await store.close();
  }
}

/** Numeric points written for (run, key), counting a step written twice twice. */
function writtenPoints(store: SqliteStore, runId: string, key: string): number {
  const row = store.db
    .prepare("SELECT COALESCE(SUM(n), 0) AS n FROM history_chunks WHERE run = ? AND key = ?")
    .get(runId, key) as { n: number };
  return row.n;
}

/** What an online writer's spool held. */
export interface SpoolCount {
  points: Points;
  /** Segment files read. */
  files: number;
  /** Segments whose last line was cut short (a write the process did not finish): not durable. */
  torn: number;
  /** Files that could not be read as operations: with any, the count is not trustworthy. */
  unreadable: string[];
}

/**
 * Reads every spool folder of `runId` under `<dir>/spool/` (`<runId>~<writer>/`): segments
 * `<seq>.jsonl` (one op per line, appended) and `<seq>.json` (one JSON array, older versions).
 * `meta.json`, the delivery `lock` and temp files are not segments. A last line without its
 * newline was cut short by the writer's death: it was never durable, so it is not counted.
 */
export function readSpool(dir: string, runId: string): SpoolCount {
  const out: SpoolCount = { points: emptyPoints(), files: 0, torn: 0, unreadable: [] };
  const root = join(dir, "spool");
  if (!existsSync(root)) return out;
  for (const folder of readdirSync(root).filter((n) => n.startsWith(`${runId}~`))) {
    const path = join(root, folder);
    for (const name of readdirSync(path).filter((n) => /^\d+\.jsonl?$/.test(n))) {
      const text = readFileSync(join(path, name), "utf8");
      const read = name.endsWith(".jsonl") ? parseLines(text) : parseArray(text);
      if (read === undefined) {
        out.unreadable.push(join(folder, name));
        continue;
      }
      out.files++;
      if (read.torn) out.torn++;
      for (const op of read.ops) addOp(out.points, op);
    }
  }
  return out;
}

function parseArray(text: string): { ops: Op[]; torn: boolean } | undefined {
  try {
    const v = decodeJson(text);
    return Array.isArray(v) ? { ops: v as Op[], torn: false } : undefined;
  } catch {
    return undefined;
  }
}

function parseLines(text: string): { ops: Op[]; torn: boolean } | undefined {
  const lines = text.split("\n");
  // A whole segment ends with "\n", so the last piece is "" unless the final write was cut.
  const torn = lines.pop() !== "";
  try {
    return { ops: lines.map((l) => decodeJson(l) as Op), torn };
  } catch {
    return undefined;
  }
}

/** Adds the points of a history op (rows or columns) to `points`; other ops carry none. */
function addOp(points: Points, op: Op): void {
  if (op.type === "history") {
    for (const row of op.rows) {
      for (const key of Object.keys(row.values)) points.get(key)?.add(row.step);
    }
  } else if (op.type === "history_cols") {
    const { steps, columns, others } = op.cols;
    for (const [key, col] of Object.entries(columns)) {
      const at = points.get(key);
      if (!at) continue;
      if (col.rows) for (const r of col.rows) at.add(steps[r]);
      else for (const s of steps) at.add(s);
    }
    for (const o of others) points.get(o.key)?.add(steps[o.row]);
  }
}
