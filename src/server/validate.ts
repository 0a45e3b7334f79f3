/**
 * Validation of write bodies. Everything is checked before anything is written, so bad input is
 * a 400 naming the field and never a partial write. Values are checked by hand (no schema
 * library) because ingest is hot: a batch of 10,000 rows must validate in a few ms.
 */
import type {
  ConsoleLine,
  HistoryRow,
  RunPatch,
  RunState,
  StoredValue,
  SystemSample,
} from "../store/types.js";
import { invalid } from "./errors.js";
import {
  type BatchBody,
  type CreateBody,
  type HistoryColumns,
  LIMITS,
  type Op,
  opRows,
} from "./protocol.js";

const STATES: readonly RunState[] = ["running", "finished", "failed", "crashed"];
const MAX_DEPTH = 32;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) throw invalid(field, `must be an object, got ${kind(v)}`);
  return v;
}

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function arr(v: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw invalid(field, `must be an array, got ${kind(v)}`);
  if (v.length > max) throw invalid(field, `at most ${max} items per request, got ${v.length}`);
  return v;
}

function str(v: unknown, field: string, max = 4096): string {
  if (typeof v !== "string") throw invalid(field, `must be a string, got ${kind(v)}`);
  if (v.length > max) throw invalid(field, `longer than ${max} characters`);
  return v;
}

function optStr(v: unknown, field: string, max = 4096): string | null | undefined {
  return v === undefined || v === null ? v : str(v, field, max);
}

function num(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw invalid(field, `must be a finite number, got ${JSON.stringify(v) ?? kind(v)}`);
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

/** A StoredValue (numbers incl. NaN/±Inf after decoding, strings, booleans, null, arrays, plain objects). */
export function storedValue(v: unknown, field: string, depth = 0): StoredValue {
  if (depth > MAX_DEPTH) throw invalid(field, `nested deeper than ${MAX_DEPTH} levels`);
  switch (typeof v) {
    case "number":
    case "string":
    case "boolean":
      return v;
    case "object":
      if (v === null) return null;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) storedValue(v[i], `${field}[${i}]`, depth + 1);
        return v as StoredValue;
      }
      for (const k in v as Obj) storedValue((v as Obj)[k], `${field}.${k}`, depth + 1);
      return v as StoredValue;
    default:
      throw invalid(field, `cannot store a ${typeof v}`);
  }
}

function record(v: unknown, field: string): Record<string, StoredValue> {
  const o = obj(v, field);
  storedValue(o, field);
  return o as Record<string, StoredValue>;
}

function tags(v: unknown, field: string): string[] {
  const a = arr(v, field, 1000);
  for (let i = 0; i < a.length; i++) str(a[i], `${field}[${i}]`, 512);
  return a as string[];
}

export function runId(v: unknown, field = "id"): string {
  const s = str(v, field, 128);
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(s)) throw invalid(field, "must match [A-Za-z0-9_.-]{1,128}");
  // "." and ".." are path segments, not ids: a URL with them means another route.
  if (s === "." || s === "..") throw invalid(field, `${JSON.stringify(s)} is not a run id`);
  return s;
}

export function createBody(v: unknown, field: string): CreateBody {
  const o = obj(v, field);
  if (o.id !== undefined) runId(o.id, `${field}.id`);
  str(o.project, `${field}.project`, 256);
  if (o.project === "") throw invalid(`${field}.project`, "must not be empty");
  str(o.name, `${field}.name`, 512);
  num(o.createdAt, `${field}.createdAt`);
  for (const f of ["entity", "group", "jobType", "host"]) optStr(o[f], `${field}.${f}`, 512);
  optStr(o.notes, `${field}.notes`, 1_000_000);
  if (o.tags !== undefined) tags(o.tags, `${field}.tags`);
  if (o.config !== undefined) record(o.config, `${field}.config`);
  if (o.pid !== undefined && o.pid !== null && !Number.isSafeInteger(o.pid)) {
    throw invalid(`${field}.pid`, "must be an integer");
  }
  return o as unknown as CreateBody;
}

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
      if (typeof x !== "number") storedValue(x, `${f}.values.${k}`);
    }
  }
  return rows as HistoryRow[];
}

function numArray(v: unknown, field: string, n: number, finite: boolean): number[] {
  if (!Array.isArray(v)) throw invalid(field, `must be an array, got ${kind(v)}`);
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
    storedValue(x.value, `${field}.others[${i}].value`);
  }
  return { ...(o as unknown as HistoryColumns), others: others as HistoryColumns["others"] };
}

export function systemSamples(v: unknown, field: string): SystemSample[] {
  const samples = arr(v, field, LIMITS.samplesPerRequest);
  samples.forEach((s, i) => {
    const o = obj(s, `${field}[${i}]`);
    num(o.timestamp, `${field}[${i}].timestamp`);
    const vals = obj(o.values, `${field}[${i}].values`);
    for (const k in vals) {
      key(k, `${field}[${i}].values`);
      if (typeof vals[k] !== "number") throw invalid(`${field}[${i}].values.${k}`, "not a number");
    }
  });
  return samples as SystemSample[];
}

export function consoleLines(v: unknown, field: string): ConsoleLine[] {
  const lines = arr(v, field, LIMITS.linesPerRequest);
  lines.forEach((l, i) => {
    const o = obj(l, `${field}[${i}]`);
    if (o.stream !== "stdout" && o.stream !== "stderr") {
      throw invalid(`${field}[${i}].stream`, 'must be "stdout" or "stderr"');
    }
    num(o.timestamp, `${field}[${i}].timestamp`);
    str(o.text, `${field}[${i}].text`, LIMITS.consoleLine);
  });
  return lines as ConsoleLine[];
}

const PATCH_FIELDS = new Set([
  "name",
  "notes",
  "tags",
  "group",
  "jobType",
  "config",
  "summary",
  "state",
  "exitCode",
  "finishedAt",
  "heartbeatAt",
  "pid",
  "host",
]);

export function runPatch(v: unknown, field: string): RunPatch {
  const o = obj(v, field);
  for (const k of Object.keys(o)) {
    if (!PATCH_FIELDS.has(k)) throw invalid(`${field}.${k}`, "is not a field a writer may change");
  }
  if (o.name !== undefined) str(o.name, `${field}.name`, 512);
  for (const f of ["notes", "group", "jobType", "host"]) {
    optStr(o[f], `${field}.${f}`, f === "notes" ? 1_000_000 : 512);
  }
  if (o.tags !== undefined) tags(o.tags, `${field}.tags`);
  if (o.config !== undefined) record(o.config, `${field}.config`);
  if (o.summary !== undefined) record(o.summary, `${field}.summary`);
  if (o.state !== undefined && !STATES.includes(o.state as RunState)) {
    throw invalid(`${field}.state`, `must be one of ${STATES.join(", ")}`);
  }
  for (const f of ["exitCode", "finishedAt", "pid"]) {
    if (o[f] !== undefined && o[f] !== null) num(o[f], `${field}.${f}`);
  }
  if (o.exitCode !== undefined && o.exitCode !== null && !Number.isInteger(o.exitCode)) {
    throw invalid(`${field}.exitCode`, "must be an integer");
  }
  if (o.heartbeatAt !== undefined) num(o.heartbeatAt, `${field}.heartbeatAt`);
  return o as RunPatch;
}

export function writerId(v: unknown, field = "writer"): string {
  const s = str(v, field, 64);
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(s)) throw invalid(field, "must match [A-Za-z0-9_-]{8,64}");
  return s;
}

export function seqNo(v: unknown, field: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1) {
    throw invalid(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v as number;
}

/** One op of a batch; `field` is e.g. `ops[3]`. */
export function op(v: unknown, field: string): Op {
  const o = obj(v, field);
  const seq = seqNo(o.seq, `${field}.seq`);
  switch (o.type) {
    case "create":
      if (o.resume !== undefined && typeof o.resume !== "boolean") {
        throw invalid(`${field}.resume`, "must be a boolean");
      }
      return {
        seq,
        type: "create",
        run: createBody(o.run, `${field}.run`),
        resume: o.resume === true,
      };
    case "history":
      return { seq, type: "history", rows: historyRows(o.rows, `${field}.rows`) };
    case "history_cols":
      return { seq, type: "history_cols", cols: historyColumns(o.cols, `${field}.cols`) };
    case "system":
      return { seq, type: "system", samples: systemSamples(o.samples, `${field}.samples`) };
    case "console":
      return { seq, type: "console", lines: consoleLines(o.lines, `${field}.lines`) };
    case "patch":
      return { seq, type: "patch", patch: runPatch(o.patch, `${field}.patch`) };
    default:
      throw invalid(
        `${field}.type`,
        `must be one of create, history, history_cols, system, console, patch; got ${JSON.stringify(o.type)}`,
      );
  }
}

export function batchBody(v: unknown): BatchBody {
  const o = obj(v, "body");
  const writer = writerId(o.writer);
  const ops = arr(o.ops, "ops", LIMITS.opsPerRequest).map((x, i) => op(x, `ops[${i}]`));
  let rows = 0;
  for (let i = 0; i < ops.length; i++) {
    if (i > 0 && ops[i].seq <= ops[i - 1].seq) {
      throw invalid(`ops[${i}].seq`, "sequence numbers must increase within a batch");
    }
    rows += opRows(ops[i]);
  }
  if (rows > LIMITS.rowsPerRequest * 5) {
    throw invalid("ops", `at most ${LIMITS.rowsPerRequest * 5} history rows per batch`);
  }
  return { writer, ops };
}
