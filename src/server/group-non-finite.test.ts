/** Grouped charts count their runs' NaN/±Infinity per bucket beside the finite statistics. */
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../store/types.js";
import {
  MEMORY_BACKEND,
  SQLITE_BACKEND,
  type StoreBackend,
  startServerOn,
  T0,
  type TestServer,
} from "./server.test-helpers.js";

let ts: TestServer<Store> | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

/**
 * Four runs over steps 0..9: group a = runs 0, 1; group b = runs 2, 3. Run 1 logs NaN at steps
 * 2 and 3 and +Infinity at 7; run 2 logs -Infinity from step 8 on (nothing finite there); the
 * others log `step` only.
 */
const value = (k: number, s: number) =>
  k === 1 && (s === 2 || s === 3)
    ? Number.NaN
    : k === 1 && s === 7
      ? Number.POSITIVE_INFINITY
      : k === 2 && s >= 8
        ? Number.NEGATIVE_INFINITY
        : s;

async function fill(t: TestServer<Store>): Promise<void> {
  for (let k = 0; k < 4; k++) {
    const id = `g${k}`;
    const config = { part: k < 2 ? "a" : "b" };
    await t.store.createRun({ id, project: "p", name: id, config, createdAt: T0 + k });
    await t.store.appendHistory(
      id,
      Array.from({ length: 10 }, (_, s) => ({
        step: s,
        runtime: s,
        timestamp: T0 / 1000 + s,
        values: { loss: value(k, s), half: Math.floor(s / 2) },
      })),
    );
  }
}

/** SQLite with read threads: the grid is read in a thread and crosses back. */
const THREADS = { ...SQLITE_BACKEND, name: "sqlite, read threads" };

describe.each<StoreBackend>([SQLITE_BACKEND, THREADS, MEMORY_BACKEND])(
  "POST /api/series/groups non-finite counts ($name)",
  (backend) => {
    it("sums each group's NaN/±Infinity per bucket, sparse, apart from the statistics", async () => {
      ts = await startServerOn(backend, backend === THREADS ? { readThreads: 2 } : {});
      await fill(ts);
      const res = await ts.call("POST", "/api/series/groups", {
        runsQuery: "project=p&limit=100",
        by: "config.part",
        keys: ["loss"],
        buckets: 5,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const [a, b] = res.body.series;
      // Steps 0..9 in five buckets of 1.8: {0,1}, {2,3}, {4,5}, {6,7}, {8,9}.
      expect(a.group).toBe("part=a");
      expect(a.nonFinite).toEqual({ x: [1.8, 5.4], nan: [2, 0], posInf: [0, 1], negInf: [0, 0] });
      expect(b.group).toBe("part=b");
      expect(b.nonFinite).toEqual({ x: [7.2], nan: [0], posInf: [0], negInf: [2] });
      // The statistics stay those of the finite values: run 1's all-NaN bucket is interpolated
      // (3), its last finite value at steps 6-7 is 6; in group b's last bucket only run 3 has one.
      expect(a.mean).toEqual([1, 3, 5, 6.5, 9]);
      expect(b.n).toEqual([2, 2, 2, 2, 1]);
      expect(b.mean[4]).toBe(9);
      // A key without non-finite values has none.
      const clean = await ts.call("POST", "/api/series/groups", {
        runs: ["g0", "g3"],
        by: "config.part",
        keys: ["loss"],
        buckets: 5,
      });
      expect(clean.body.series.every((s: { nonFinite?: unknown }) => !s.nonFinite)).toBe(true);
      // Against a logged metric (`half` = floor(step / 2): 0..4), the counts move with the
      // values: steps 2-3 are at half 1, step 7 at 3, steps 8-9 at 4.
      const byMetric = await ts.call("POST", "/api/series/groups", {
        runsQuery: "project=p&limit=100",
        by: "config.part",
        keys: ["loss"],
        xKey: "half",
        buckets: 5,
      });
      expect(byMetric.status, JSON.stringify(byMetric.body)).toBe(200);
      const [ma, mb] = byMetric.body.series;
      expect(ma.nonFinite).toEqual({
        x: [1 * 0.8, 3 * 0.8],
        nan: [2, 0],
        posInf: [0, 1],
        negInf: [0, 0],
      });
      expect(mb.nonFinite).toEqual({ x: [4 * 0.8], nan: [0], posInf: [0], negInf: [2] });
    });
  },
);
