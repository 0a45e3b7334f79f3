/**
 * Request validation of the ingest hot path, both ways: the hand checks the server uses
 * (`src/server/history-check.ts`) against the same rules written as valibot schemas (here
 * only, for the comparison), on one full op of 10,000 rows x 10 numeric keys, in the row form
 * and the columnar form the SDK sends. Prints the best of `--reps` runs (default 60) after a
 * warm-up, in ms, with `JSON.parse` of the same body for scale.
 *
 * Run: `node --import tsx bench/validate.ts [--reps 60]`
 */
import * as v from "valibot";
import { LIMITS } from "../src/protocol/batch.js";
import { historyColumns, historyRows } from "../src/server/history-check.js";

const argv = process.argv.slice(2);
const repsAt = argv.indexOf("--reps");
const REPS = repsAt >= 0 ? Number(argv[repsAt + 1]) : 60;
const N = 10_000;
const K = 10;

/** The hand checks' rules as schemas: what the server would run without the hand path. */
const finite = v.pipe(v.number(), v.finite());
const key = v.pipe(v.string(), v.minLength(1), v.maxLength(LIMITS.keyLength));
const anyNumber = v.custom<number>((x) => typeof x === "number");
const stored = v.custom<unknown>((x) => x !== undefined);
const step = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const index = v.pipe(v.number(), v.integer(), v.minValue(0));
const rowsSchema = v.pipe(
  v.array(
    v.object({
      step,
      runtime: finite,
      timestamp: finite,
      values: v.record(key, v.union([anyNumber, stored])),
    }),
  ),
  v.maxLength(LIMITS.rowsPerRequest),
);
const colsSchema = v.pipe(
  v.object({
    steps: v.pipe(v.array(step), v.maxLength(LIMITS.rowsPerRequest)),
    runtimes: v.array(finite),
    timestamps: v.array(finite),
    columns: v.record(
      key,
      v.object({ rows: v.optional(v.array(index)), values: v.array(anyNumber) }),
    ),
    others: v.optional(v.array(v.object({ row: index, key, value: stored })), []),
  }),
  v.check((c) => {
    const n = c.steps.length;
    if (c.runtimes.length !== n || c.timestamps.length !== n) return false;
    for (const k in c.columns) {
      const { rows, values } = c.columns[k];
      if (values.length !== (rows ?? c.steps).length) return false;
      if (rows?.some((r, i) => r >= n || (i > 0 && r <= rows[i - 1]))) return false;
    }
    return c.others.every((o) => o.row < n);
  }),
);

function bodies(): { rows: string; cols: string } {
  const rows = Array.from({ length: N }, (_, i) => {
    const values: Record<string, number> = {};
    for (let k = 0; k < K; k++) values[`metric_${k}`] = Math.random();
    return { step: i, runtime: i * 0.1, timestamp: 1.7e9 + i, values };
  });
  const columns: Record<string, { values: number[] }> = {};
  for (let k = 0; k < K; k++)
    columns[`metric_${k}`] = { values: rows.map((r) => r.values[`metric_${k}`]) };
  const cols = {
    steps: rows.map((r) => r.step),
    runtimes: rows.map((r) => r.runtime),
    timestamps: rows.map((r) => r.timestamp),
    columns,
    others: [],
  };
  return { rows: JSON.stringify(rows), cols: JSON.stringify(cols) };
}

function mustPass(ok: boolean): void {
  if (!ok) throw new Error("the schema refused a valid body: the comparison would be unfair");
}

const body = bodies();
const cases: Record<string, () => unknown> = {
  "rows: JSON.parse": () => JSON.parse(body.rows),
  "rows: parse + hand check": () => historyRows(JSON.parse(body.rows), "rows"),
  "rows: parse + valibot": () => mustPass(v.safeParse(rowsSchema, JSON.parse(body.rows)).success),
  "cols: JSON.parse": () => JSON.parse(body.cols),
  "cols: parse + hand check": () => historyColumns(JSON.parse(body.cols), "cols"),
  "cols: parse + valibot": () => mustPass(v.safeParse(colsSchema, JSON.parse(body.cols)).success),
};
// Warm every case up before timing any, so the first one timed is not the one paying for JIT.
for (let i = 0; i < 20; i++) for (const f of Object.values(cases)) f();
const bestMs: Record<string, number> = {};
for (const [name, f] of Object.entries(cases)) {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  bestMs[name] = Number(best.toFixed(2));
}
console.log(JSON.stringify({ points: N * K, reps: REPS, bestMs }, null, 1));
