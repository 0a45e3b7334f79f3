/** Child process for the multi-process test: `writer.ts <dir> <runId> <points>`. */
import { SqliteStore } from "../index.js";

const [dir, runId, pointsArg] = process.argv.slice(2);
const points = Number(pointsArg);
const store = SqliteStore.openSync(dir);
const batch = 50;
const start = performance.now();
for (let s = 0; s < points; s += batch) {
  const rows = [];
  for (let step = s; step < Math.min(points, s + batch); step++) {
    rows.push({ step, runtime: step, timestamp: step, values: { v: step * 2 } });
  }
  store.appendHistorySync(runId, rows);
  // A shared run under a per-process key: writers contend for the same rows' pages.
  store.appendHistorySync(
    "w0",
    rows.map((r) => ({ ...r, values: { [`k${runId.slice(1)}`]: r.step } })),
  );
}
const secs = (performance.now() - start) / 1000;
console.log(
  `${runId}: ${points * 2} rows in ${secs.toFixed(2)} s (${Math.round((points * 2) / secs)} rows/s)`,
);
store.closeSync();
