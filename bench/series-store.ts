/**
 * Store-level series reads (no HTTP, no browser): `runs` runs x 1 metric x `steps` steps in a
 * SQLite folder or a PostgreSQL database on a private cluster, written either as one batch per
 * run or as many small batches (`--batch N`, what online mode's ~100 ms flushes produce), then
 * the 100-run chart query (200 buckets by step, as the dashboard asks) and the one-run query
 * (400 buckets), by step, time, and a windowed range, each repeated; p50/p99 in ms. With
 * `--non-finite`, a second metric with 1% NaN/±Infinity (counted per bucket, so its chunks are
 * always decoded) and its 100-run chart by step.
 *
 * Usage: npx tsx bench/series-store.ts [--store postgres|sqlite] [--runs 100] [--steps 10000]
 *        [--batch 10000] [--reps 30] [--non-finite]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { HistoryBatch, NumberColumn } from "../src/store/history-batch.js";
import { PostgresStore } from "../src/store/postgres/index.js";
import { SqliteStore } from "../src/store/sqlite/index.js";
import type { SeriesQuery, Store } from "../src/store/types.js";

const { values: a } = parseArgs({
  options: {
    store: { type: "string", default: "postgres" },
    runs: { type: "string", default: "100" },
    steps: { type: "string", default: "10000" },
    batch: { type: "string", default: "10000" },
    reps: { type: "string", default: "30" },
    "non-finite": { type: "boolean", default: false },
  },
});
const runs = Number(a.runs);
const steps = Number(a.steps);
const batchRows = Number(a.batch);
const reps = Number(a.reps);

async function open(): Promise<{ store: Store; close(): Promise<void> }> {
  if (a.store === "postgres") {
    const { startPostgres } = await import("../test/services/postgres.js");
    const cluster = await startPostgres();
    const store = await PostgresStore.open(await cluster.createDatabase());
    return {
      store,
      close: async () => {
        await store.close();
        await cluster.stop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), "amltk-bench-series-"));
  const store = SqliteStore.openSync(dir);
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Each run's history in batches of `batchRows` rows (values: a noisy decay). */
async function generate(store: Store): Promise<string[]> {
  const ids: string[] = [];
  const t0 = Date.now() / 1000;
  for (let r = 0; r < runs; r++) {
    const id = `run${String(r).padStart(4, "0")}`;
    ids.push(id);
    await store.createRun({ id, project: "bench", name: id, createdAt: Date.now() });
    for (let s = 0; s < steps; s += batchRows) {
      const n = Math.min(batchRows, steps - s);
      const stepsA = new Float64Array(n);
      const rows = new Int32Array(n);
      const runtimes = new Float64Array(n);
      const timestamps = new Float64Array(n);
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        stepsA[i] = s + i;
        rows[i] = i;
        runtimes[i] = (s + i) * 0.05;
        timestamps[i] = t0 + r + (s + i) * 0.05;
        v[i] = Math.exp(-(s + i) / 3000) + 0.05 * Math.random();
      }
      const columns = new Map<string, NumberColumn>([["m0", { n, rows, values: v }]]);
      if (a["non-finite"]) {
        // 1% non-finite: NaN, +Infinity and -Infinity in turn.
        const odd = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
        const w = v.map((x, i) => ((s + i) % 100 === 7 ? odd[(s + i) % 3]! : x));
        columns.set("m1", { n, rows, values: w });
      }
      const b: HistoryBatch = { rows: n, steps: stepsA, runtimes, timestamps, columns, others: [] };
      await (
        store as unknown as { appendHistoryBatch(id: string, b: HistoryBatch): Promise<void> }
      ).appendHistoryBatch(id, b);
    }
  }
  return ids;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
}

/**
 * The first read (`coldMs`: computed from the database) and the repeats (p50/p99: the store's
 * series cache, valid until the next write, serves them).
 */
async function time(
  store: Store,
  q: SeriesQuery,
): Promise<{ coldMs: number; p50: number; p99: number; buckets: number }> {
  const t0 = performance.now();
  await store.readSeries(q);
  const coldMs = Math.round(performance.now() - t0);
  const ms: number[] = [];
  let buckets = 0;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const out = await store.readSeries(q);
    ms.push(performance.now() - t);
    buckets = out.reduce((n, s) => n + s.buckets.length, 0);
  }
  return { coldMs, p50: pct(ms, 50), p99: pct(ms, 99), buckets };
}

const { store, close } = await open();
try {
  const g0 = performance.now();
  const ids = await generate(store);
  const generateMs = Math.round(performance.now() - g0);
  const all = { runIds: ids, keys: ["m0"], buckets: 200 } as const;
  const out = {
    store: a.store,
    runs,
    steps,
    batchRows,
    reps,
    generateMs,
    chart100Step: await time(store, { ...all, x: "step" }),
    chart100Time: await time(store, { ...all, x: "time" }),
    chart100Window: await time(store, { ...all, x: "step", minX: 2000, maxX: 2999 }),
    oneRun: await time(store, { runIds: [ids[0]!], keys: ["m0"], buckets: 400, x: "step" }),
    ...(a["non-finite"]
      ? { chart100StepNonFinite: await time(store, { ...all, keys: ["m1"], x: "step" }) }
      : {}),
  };
  console.log(JSON.stringify(out));
} finally {
  await close();
}
