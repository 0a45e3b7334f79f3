/**
 * PostgreSQL series against the SQLite store's on the same history: both bucket with the shared
 * chunk code, so every bucket must be equal, whatever the chunks look like (many small batches,
 * non-consecutive steps, NaN and Infinity, a window that cuts chunks). And the series cache is
 * dropped when another server process writes.
 */
import pg from "pg";
import { describe, expect, it } from "vitest";
import { postgresAvailability } from "../../../test/services/postgres.js";
import { skipBecause } from "../../../test/skip.js";
import { SqliteStore } from "../sqlite/index.js";
import { tempDirs } from "../sqlite/sqlite.test-helpers.js";
import type { HistoryRow, SeriesQuery } from "../types.js";
import { freshPostgresStore, freshPostgresUrl } from "./postgres.test-helpers.js";
import { PostgresStore } from "./postgres-store.js";
import { readSeriesRows } from "./series.js";
import { ChunkCache } from "./series-cache.js";

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

/** A fresh PostgreSQL store and a SQLite store, each holding runs `ids` without history. */
async function storesWithRuns(ids: string[]): Promise<{ pg: PostgresStore; lite: SqliteStore }> {
  const pg = await freshPostgresStore();
  const lite = SqliteStore.openSync(dirs());
  try {
    for (const store of [pg, lite]) {
      for (const id of ids) await store.createRun({ id, project: "p", name: id, createdAt: 1 });
    }
  } catch (e) {
    await pg.close();
    await lite.close();
    throw e;
  }
  return { pg, lite };
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
    const { pg, lite } = await storesWithRuns(["live"]);
    try {
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

  it("reads a live chart's new chunks with its chunk list: one statement a read", async () => {
    const url = await freshPostgresUrl();
    const store = await PostgresStore.open(url);
    const lite = SqliteStore.openSync(dirs());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    // Every statement the reads send, counted.
    let statements = 0;
    const db = {
      query: (text: string, values: unknown[]) => {
        statements++;
        return client.query(text, values);
      },
    } as unknown as pg.ClientBase;
    try {
      for (const s of [store, lite]) {
        for (const id of ["w0", "w1"])
          await s.createRun({ id, project: "p", name: id, createdAt: 1 });
      }
      const rows = rowsOf(1).slice(0, 3000);
      const cache = new ChunkCache();
      const q: SeriesQuery = { runIds: ["w0", "w1"], keys: ["a", "b"], x: "step", buckets: 200 };
      // Requests of 300 rows, as an online writer at 6,000 points/s sends every 500 ms: each
      // write makes new chunks (too big to join the last), which the next read takes inline.
      for (let a = 0; a < rows.length; a += 300) {
        for (const s of [store, lite]) {
          for (const id of ["w0", "w1"]) await s.appendHistory(id, rows.slice(a, a + 300));
        }
        statements = 0;
        const got = await readSeriesRows(db, q, cache);
        expect(got, `after ${a + 300} rows`).toEqual(await lite.readSeries(q));
        // The first read lists the chunks, then fetches their points; later ones list the
        // new chunks with their points, the older ones come from the cache.
        expect(statements, `after ${a + 300} rows`).toBe(a === 0 ? 2 : 1);
      }
      expect(cache.newest("step")).toBeGreaterThan(0);
    } finally {
      await client.end();
      await store.close();
      await lite.close();
    }
  });

  it("recomputes the cached series of the runs this process wrote since, and only those", async () => {
    const { pg, lite } = await storesWithRuns(["a", "b"]);
    try {
      const rows = rowsOf(2).slice(0, 2000);
      const q: SeriesQuery = { runIds: ["a", "b"], keys: ["a", "b"], x: "step", buckets: 40 };
      // Writes to one run at a time, then to the other: each read must see every write.
      for (let a = 0; a < rows.length; a += 250) {
        const run = (a / 250) % 2 === 0 ? "a" : "b";
        for (const store of [pg, lite]) await store.appendHistory(run, rows.slice(a, a + 250));
        const want = await lite.readSeries(q);
        expect(await pg.readSeries(q), `after ${a + 250} rows into ${run}`).toEqual(want);
        expect(await pg.readSeries(q), "from the cache").toEqual(want);
      }
      await pg.deleteRun("a");
      await lite.deleteRun("a");
      expect(await pg.readSeries(q), "after a delete").toEqual(await lite.readSeries(q));
    } finally {
      await pg.close();
      await lite.close();
    }
  });

  it("hands a read-only caller its cached buckets, any other caller copies", async () => {
    const { pg, lite } = await storesWithRuns(["q"]);
    try {
      await pg.appendHistory("q", rowsOf(3).slice(0, 500));
      const q: SeriesQuery = { runIds: ["q"], keys: ["a"], x: "step", buckets: 20 };
      const shared = { ...q, readOnly: true };
      const first = (await pg.readSeries(shared))[0]!.buckets;
      expect((await pg.readSeries(shared))[0]!.buckets[0]).toBe(first[0]);
      const copy = (await pg.readSeries(q))[0]!.buckets;
      expect(copy).toEqual(first);
      expect(copy[0]).not.toBe(first[0]);
      // A run written between two reads: its fresh buckets are not kept, so not shared.
      await pg.appendHistory("q", rowsOf(3).slice(500, 600));
      const fresh = (await pg.readSeries(shared))[0]!.buckets;
      fresh[0]!.count = -1;
      expect((await pg.readSeries(q))[0]!.buckets[0]!.count).not.toBe(-1);
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
