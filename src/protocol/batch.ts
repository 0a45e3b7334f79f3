/**
 * The wire format between the online SDK (`src/track/online/`, the client) and the server
 * (`src/server/`): the batch body, its operations, the columnar history and the size limits
 * both sides enforce. Neither side owns it; both import it, and it imports only the store's
 * value types. NaN and ±Infinity inside a body use the one JSON codec,
 * `src/shared/json-numbers.ts`. Contract: docs/api.md.
 *
 * @module
 */
import type {
  ConsoleLine,
  HistoryRow,
  RunInit,
  RunPatch,
  StoredValue,
  SystemSample,
} from "../store/types.js";

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
