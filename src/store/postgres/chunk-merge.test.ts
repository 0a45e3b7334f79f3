/** Small writes join the last chunk in PostgreSQL, and every point stays readable once. */
import { describe, expect, it } from "vitest";
import { postgresAvailability } from "../../../test/services/postgres.js";
import { skipBecause } from "../../../test/skip.js";
import type { HistoryRow } from "../types.js";
import { MERGE_MAX } from "./chunk-merge.js";
import { freshPostgresStore } from "./postgres.test-helpers.js";

const PG = postgresAvailability("PostgreSQL chunk joins");
const noPg = skipBecause(!PG.found, "PostgreSQL chunk joins", PG.reason);

describe.skipIf(noPg)("PostgreSQL chunk joins", () => {
  it("joins 150 writes of 3 rows into a few chunks, keeping every point exactly once", async () => {
    const store = await freshPostgresStore();
    try {
      await store.createRun({ id: "j1", project: "p", name: "j1", createdAt: 1 });
      const all: HistoryRow[] = [];
      for (let w = 0; w < 150; w++) {
        const rows: HistoryRow[] = [];
        for (let i = 0; i < 3; i++) {
          // Consecutive steps for the first half, then gaps (the steps array must appear).
          const step = w < 75 ? w * 3 + i : 225 + (w - 75) * 7 + i * 2;
          const values: Record<string, number> = { a: step % 13 === 0 ? Number.NaN : step / 2 };
          if (w % 2 === 0) values.b = -step; // a key not in every write
          rows.push({ step, runtime: step, timestamp: 10 + step, values });
        }
        await store.appendHistory("j1", rows);
        all.push(...rows);
      }
      const chunks = await store.pool.query<{ key: string; c: number; max: number }>(
        "SELECT key, count(*)::int AS c, max(n) AS max FROM history_chunks GROUP BY key ORDER BY key",
      );
      expect(chunks.rows.map((r) => r.key)).toEqual(["a", "b"]);
      for (const r of chunks.rows) {
        expect(r.c).toBeLessThanOrEqual(Math.ceil(450 / (MERGE_MAX - 3)));
        expect(r.max).toBeLessThanOrEqual(MERGE_MAX);
      }
      const steps = await store.pool.query<{ c: number }>(
        "SELECT count(*)::int AS c FROM history_steps",
      );
      expect(steps.rows[0]!.c).toBeLessThanOrEqual(Math.ceil(450 / (MERGE_MAX - 3)));
      const a = await store.readPoints({ runId: "j1", key: "a" });
      expect(a.map((p) => [p.step, p.timestamp, p.value])).toEqual(
        all.map((r) => [r.step, r.timestamp, r.values.a]),
      );
      const b = await store.readPoints({ runId: "j1", key: "b" });
      expect(b.map((p) => p.step)).toEqual(all.filter((r) => "b" in r.values).map((r) => r.step));
      const history = await store.readHistory("j1");
      expect(history.map((r) => [r.step, r.runtime])).toEqual(all.map((r) => [r.step, r.runtime]));
      const keys = await store.historyKeys("j1");
      expect(keys.find((k) => k.key === "a")?.count).toBe(450);
    } finally {
      await store.close();
    }
  });
});
