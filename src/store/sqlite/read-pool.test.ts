import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeStoreConformance } from "../conformance.js";
import { StoreError } from "../types.js";
import { SqliteStore } from "./index.js";
import { SqliteReadPool } from "./read-pool.js";
import { PooledSqliteStore, withReadPool } from "./read-pool-store.js";
import { tempDirs } from "./sqlite.test-helpers.js";

const tempDir = tempDirs("amltk-read-pool-");

/** A store whose reads go to started threads (none is left to the main connection). */
async function pooled(threads = 1, dir = tempDir()): Promise<PooledSqliteStore> {
  const base = await SqliteStore.open(dir);
  const store = new PooledSqliteStore(base, new SqliteReadPool(join(dir, "amltk.db"), threads));
  await store.pool.start();
  return store;
}

const T = 1_764_000_000;

describeStoreConformance("sqlite with a read pool", () => pooled());

describe("SqliteReadPool", () => {
  it("answers reads in its threads, each seeing every write committed before it", async () => {
    const store = await pooled(2);
    await store.createRun({ id: "r", project: "p", name: "r", createdAt: 1 });
    for (let step = 0; step < 30; step++) {
      await store.appendHistory("r", [
        { step, runtime: step, timestamp: T + step, values: { loss: 100 - step } },
      ]);
      await store.updateRun("r", { summary: { loss: 100 - step } });
      // Read-your-writes, through the thread's own connection and its series cache.
      expect((await store.getRun("r"))?.summary).toEqual({ loss: 100 - step });
      expect(await store.readPoints({ runId: "r", key: "loss" })).toHaveLength(step + 1);
      const [s] = await store.readSeries({ runIds: ["r"], keys: ["loss"], x: "step", buckets: 4 });
      expect(s!.buckets.at(-1)?.last).toBe(100 - step);
    }
    const served = store.pool.served.reduce((a, b) => a + b, 0);
    expect(served).toBeGreaterThanOrEqual(90);
    await store.close();
  });

  it("keeps NaN and infinities, and a StoreError's code, across the thread boundary", async () => {
    const store = await pooled();
    await store.createRun({ id: "r", project: "p", name: "r", createdAt: 1 });
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5];
    await store.appendHistory(
      "r",
      values.map((v, step) => ({ step, runtime: step, timestamp: T + step, values: { x: v } })),
    );
    expect((await store.readPoints({ runId: "r", key: "x" })).map((p) => p.value)).toEqual(values);
    const missing = store.readPoints({ runId: "nope", key: "x" });
    await expect(missing).rejects.toBeInstanceOf(StoreError);
    await expect(missing).rejects.toMatchObject({ code: "not_found" });
    await store.close();
  });

  it("leaves a read to the store's own connection when its thread goes away first", async () => {
    const store = await pooled();
    await store.createRun({ id: "r", project: "p", name: "r", createdAt: 1 });
    const asked = store.listRuns({ project: "p" });
    await store.closeReads(); // ends the thread before it can answer
    expect((await asked).runs.map((r) => r.id)).toEqual(["r"]);
    await store.base.close();
  });

  it("reads on the store's own connection until a thread is ready", async () => {
    const dir = tempDir();
    const base = await SqliteStore.open(dir);
    const store = withReadPool(base, 1)!;
    await base.createRun({ id: "r", project: "p", name: "r", createdAt: 1 });
    // The first read starts a thread but cannot wait for it.
    expect((await store.getRun("r"))?.id).toBe("r");
    expect(store.pool.served).toEqual([0]);
    await store.pool.start();
    expect((await store.getRun("r"))?.id).toBe("r");
    expect(store.pool.served).toEqual([1]);
    await store.close();
  });

  it("is not made for a store without threads", async () => {
    const base = await SqliteStore.open(tempDir());
    expect(withReadPool(base, 0)).toBeUndefined();
    await base.close();
  });
});
