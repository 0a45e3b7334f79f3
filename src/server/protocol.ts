/**
 * The wire protocol between the online SDK (`src/track/online/`) and the server: operation
 * types, the JSON codec for non-finite numbers, and size limits. Pure (no Hono, no store), so
 * the client imports it without pulling the server in. Contract: docs/api.md.
 */
import type {
  ConsoleLine,
  HistoryRow,
  RunInit,
  RunPatch,
  StoredValue,
  SystemSample,
} from "../store/types.js";

/** JSON cannot carry NaN/±Infinity; they travel as `{"$amltk_num": "NaN"}`. */
export const NUM_TAG = "$amltk_num";

/** Request and list limits; also enforced by the client so it never builds a refused batch. */
export const LIMITS = {
  bodyBytes: 32 * 1024 * 1024,
  rowsPerRequest: 10_000,
  samplesPerRequest: 10_000,
  linesPerRequest: 10_000,
  opsPerRequest: 1_000,
  keyLength: 512,
  seriesRuns: 1_000,
  seriesKeys: 100,
  buckets: 10_000,
  consoleLine: 64 * 1024,
} as const;

/** A run as the client creates it (the server fills state, summary, timestamps). */
export type CreateBody = Omit<RunInit, "id"> & { id?: string };

/**
 * History in columns (what the SDK sends): row i is (steps[i], runtimes[i], timestamps[i]);
 * each numeric key lists the row indices it has a value at (ascending) and the values;
 * non-numeric values go one by one in `others`. Much smaller and faster than rows of objects.
 */
export interface HistoryColumns {
  steps: number[];
  runtimes: number[];
  timestamps: number[];
  /** `rows` omitted: the key has a value at every row (the common, dense case). */
  columns: Record<string, { rows?: number[]; values: number[] }>;
  others: { row: number; key: string; value: StoredValue }[];
}

export type Op =
  | { seq: number; type: "create"; run: CreateBody; resume?: boolean }
  | { seq: number; type: "history"; rows: HistoryRow[] }
  | { seq: number; type: "history_cols"; cols: HistoryColumns }
  | { seq: number; type: "system"; samples: SystemSample[] }
  | { seq: number; type: "console"; lines: ConsoleLine[] }
  | { seq: number; type: "patch"; patch: RunPatch };

export interface BatchBody {
  writer: string;
  ops: Op[];
}

export interface BatchResult {
  applied: number;
  skipped: number;
  lastSeq: number;
  nextStep: number;
}

/** `JSON.stringify` with non-finite numbers tagged. */
export function encodeJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === "number" && !Number.isFinite(x) ? { [NUM_TAG]: String(x) } : x,
  );
}

function untag(x: unknown): unknown {
  if (x !== null && typeof x === "object" && !Array.isArray(x)) {
    const o = x as Record<string, unknown>;
    // A one-key object is the only shape that can be a tag; check cheaply before Object.keys.
    if (NUM_TAG in o) {
      const keys = Object.keys(o);
      if (keys.length === 1) {
        const t = o[NUM_TAG];
        if (t === "NaN") return Number.NaN;
        if (t === "Infinity") return Number.POSITIVE_INFINITY;
        if (t === "-Infinity") return Number.NEGATIVE_INFINITY;
      }
    }
  }
  return x;
}

/** `JSON.parse` restoring tagged non-finite numbers. Throws SyntaxError on bad JSON. */
export function decodeJson(text: string): unknown {
  // The reviver is only paid for when a tag can be present at all.
  if (!text.includes(NUM_TAG)) return JSON.parse(text);
  return JSON.parse(text, (_k, x) => untag(x));
}

/** Restores tags in an already-parsed value (in place where possible). */
export function untagValue(v: unknown): StoredValue {
  return decodeJson(JSON.stringify(v)) as StoredValue;
}

/** Tags non-finite numbers in place-free fashion: a copy only when one is found. */
export function tagNumbers(a: ArrayLike<number>, n = a.length): number[] {
  const out = new Array<number>(n);
  let clean = true;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (!Number.isFinite(v)) clean = false;
    out[i] = v;
  }
  if (clean) return out;
  return out.map((v) => (Number.isFinite(v) ? v : ({ [NUM_TAG]: String(v) } as unknown as number)));
}

/** A JSON-safe deep copy of a small value: non-finite numbers tagged. */
export function tagValue<T>(v: T): T {
  return JSON.parse(encodeJson(v)) as T;
}

/** History rows in an op (0 for other ops). */
export function opRows(op: Op): number {
  return op.type === "history"
    ? op.rows.length
    : op.type === "history_cols"
      ? op.cols.steps.length
      : 0;
}

/** Points in an op, used by the client for its memory bound and by benches. */
export function opWeight(op: Op): number {
  switch (op.type) {
    case "history_cols": {
      let n = op.cols.steps.length + op.cols.others.length;
      for (const k in op.cols.columns) n += op.cols.columns[k].values.length;
      return n;
    }
    case "history": {
      let n = 0;
      for (const r of op.rows) n += 1 + Object.keys(r.values).length;
      return n;
    }
    case "system":
      return op.samples.length * 4;
    case "console":
      return op.lines.length * 4;
    default:
      return 8;
  }
}
