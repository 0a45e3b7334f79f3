/**
 * PostgreSQL series against the SQLite store's on the same history: both bucket with the shared
 * chunk code, so every bucket must be equal, whatever the chunks look like (many small batches,
 * non-consecutive steps, NaN and Infinity, a window that cuts chunks). And the series cache is
 * dropped when another server process writes.
 */
import { describe, expect, it } from "vitest";
import { postgresAvailability } from "../../../test/services/postgres.js";
import { skipBecause } from "../../../test/skip.js";
import { SqliteStore } from "../sqlite/index.js";
import { tempDirs } from "../sqlite/sqlite.test-helpers.js";
import type { HistoryRow, SeriesQuery } from "../types.js";
import { freshPostgresStore, freshPostgresUrl } from "./postgres.test-helpers.js";
import { PostgresStore } from "./postgres-store.js";

const PG = postgresAvailability("PostgreSQL series");
const noPg = skipBecause(!PG.found, "PostgreSQL series", PG.reason);
const dirs = tempDirs("amltk-pg-series-");

/**
 * Rows of `run`: steps with gaps after 3,000, a NaN every 97 steps, Infinity at 1,234. No -0:
 * SQLite's REAL aggregate columns turn it into 0, so its buckets differ by the sign of zero.
 */
function rowsOf(run: number): HistoryRow[] {
  const rows: HistoryRow[] = [];
  for (let i = 0; i < 6000; i++) {
    const step = i < 3000 ? i : 3000 + (i - 3000) * 3;
    const a = i % 97 === 0 ? Number.NaN : step === 1234 ? Infinity : Math.sin(step / 50) + run;
    rows.push({
      step,
      runtime: step / 10,
      timestamp: 1000 + run + step / 10,
      values: { a, b: -1 - step },
    });
  }
  return rows;
}

describe.skipIf(noPg)("PostgreSQL series", () => {
  it("equals the SQLite store's buckets for step, time and windows", async () => {
    const pg = await freshPostgresStore();
    const lite = SqliteStore.openSync(dirs());
    try {
      for (const store of [pg, lite]) {
        for (let r = 0; r < 3; r++) {
          const id = `r${r}`;
          await store.createRun({ id, project: "p", name: id, createdAt: 1 });
          const rows = rowsOf(r);
          // Run 0 in one batch, the others in batches of 7 to 500 rows.
          for (let a = 0; a < rows.length; ) {
            const n = r === 0 ? rows.length : 7 + ((a * 31) % 493);
            await store.appendHistory(id, rows.slice(a, a + n));
            a += n;
          }
        }
      }
      const base = { runIds: ["r0", "r1", "r2", "nope"], keys: ["a", "b", "c"] };
      const queries: SeriesQuery[] = [
        { ...base, x: "step", buckets: 200 },
        { ...base, x: "step", buckets: 3 },
        { ...base, x: "step", buckets: 1000, minX: 500, maxX: 4321 },
        { ...base, x: "time", buckets: 150 },
        { ...base, x: "time", buckets: 40, minX: 1100, maxX: 1500 },
        { ...base, x: "step", buckets: 7, minX: 9000, maxX: 9000 },
      ];
      for (const q of queries) {
        const want = await lite.readSeries(q);
        expect(want.some((s) => s.buckets.length > 0)).toBe(true);
        expect(await pg.readSeries(q), JSON.stringify(q)).toEqual(want);
        expect(await pg.readSeries(q), "cached").toEqual(want);
      }
    } finally {
      await pg.close();
      await lite.close();
    }
  });

  it("stays exact while the chunks it keeps decoded grow between reads (a live chart)", async () => {
    const pg = await freshPostgresStore();
    const lite = SqliteStore.openSync(dirs());
    try {
      for (const store of [pg, lite]) {
        await store.createRun({ id: "live", project: "p", name: "live", createdAt: 1 });
      }
      const rows = rowsOf(0).slice(0, 1200);
      const step: SeriesQuery = { runIds: ["live"], keys: ["a"], x: "step", buckets: 50 };
      const time: SeriesQuery = { ...step, x: "time", buckets: 30 };
      // Writes of 23 rows join the last chunk (up to 256 points), then start a new one; each
      // read in between keeps the chunks it decoded, and must still see every new point.
      for (let a = 0; a < rows.length; a += 23) {
        for (const store of [pg, lite]) await store.appendHistory("live", rows.slice(a, a + 23));
        for (const q of [step, time]) {
          const want = await lite.readSeries(q);
          expect(await pg.readSeries(q), `${q.x} after ${a + 23} rows`).toEqual(want);
        }
      }
    } finally {
      await pg.close();
      await lite.close();
    }
  });

  it("drops its cached series when another process's store writes", async () => {
    const url = await freshPostgresUrl();
    const a = await PostgresStore.open(url);
    const b = await PostgresStore.open(url);
    try {
      await a.createRun({ id: "c1", project: "p", name: "c1", createdAt: 1 });
      await a.appendHistory("c1", [{ step: 0, runtime: 0, timestamp: 1, values: { m: 1 } }]);
      const q: SeriesQuery = { runIds: ["c1"], keys: ["m"], x: "step", buckets: 10 };
      expect((await a.readSeries(q))[0]!.buckets.map((x) => x.count)).toEqual([1]);
      await b.appendHistory("c1", [{ step: 5, runtime: 1, timestamp: 2, values: { m: 2 } }]);
      const deadline = Date.now() + 10_000;
      let counts: number[] = [];
      while (Date.now() < deadline) {
        counts = (await a.readSeries(q))[0]!.buckets.map((x) => x.count);
        if (counts.length === 2) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(counts).toEqual([1, 1]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
