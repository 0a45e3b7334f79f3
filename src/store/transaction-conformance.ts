/**
 * The transaction part of the backend conformance suite (`Store.transaction`, which the server's
 * ingest needs): every backend that offers transactions runs
 * `describeTransactionConformance(name, makeStore)` from its own test file.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rowsToBatch } from "./history-batch.js";
import type { HistoryRow, RunInit, Store, StoreTransaction } from "./types.js";

let counter = 0;
const T0 = 1_700_000_000_000;

function runInit(): RunInit {
  counter++;
  return { id: `tx${counter}-${process.pid}`, project: "tx", name: `tx-${counter}`, createdAt: T0 };
}

function rows(from: number, n: number): HistoryRow[] {
  return Array.from({ length: n }, (_, i) => ({
    step: from + i,
    runtime: i,
    timestamp: T0 / 1000 + i,
    values: { loss: (from + i) / 10, label: `s${from + i}` },
  }));
}

/** Everything a transaction may have written to run `id`, as one comparable value. */
async function snapshot(store: Store, id: string, writer: string) {
  const system = await store.readSeries({
    runIds: [id],
    keys: ["system/cpu"],
    x: "time",
    buckets: 1,
    source: "system",
  });
  return {
    run: await store.getRun(id),
    history: await store.readHistory(id),
    console: await store.readConsole(id),
    systemCount: system[0]?.buckets[0]?.count ?? 0,
    seq: await store.transaction!((tx) => tx.ingestSeq(id, writer)),
  };
}

class Refused extends Error {}

export function describeTransactionConformance(
  name: string,
  makeStore: () => Promise<Store>,
): void {
  describe(`Store transaction conformance: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it("commits every write of the callback, the ledger with them", async () => {
      const init = runInit();
      const out = await store.transaction!(async (tx) => {
        await tx.createRun(init);
        await tx.appendHistory(init.id, rows(0, 3));
        await tx.appendHistoryBatch(init.id, rowsToBatch(rows(3, 2)));
        await tx.appendSystem(init.id, [{ timestamp: T0 / 1000, values: { "system/cpu": 5 } }]);
        await tx.appendConsole(init.id, [{ stream: "stdout", timestamp: 1, text: "hi" }]);
        await tx.updateRun(init.id, { summary: { loss: Number.NaN } });
        await tx.setIngestSeq(init.id, "writer-a", 7);
        // The transaction sees its own writes.
        return (await tx.getRun(init.id))?.nextStep;
      });
      expect(out).toBe(5);
      const after = await snapshot(store, init.id, "writer-a");
      expect(after.run?.summary.loss).toBeNaN();
      expect(after.history.map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
      expect(after.history[4]?.values).toEqual({ loss: 0.4, label: "s4" });
      expect(after.console.map((l) => l.text)).toEqual(["hi"]);
      expect(after.systemCount).toBe(1);
      expect(after.seq).toBe(7);
      expect(await store.transaction!((tx) => tx.ingestSeq(init.id, "writer-b"))).toBeUndefined();
    });

    it("writes nothing when the callback throws, and passes its error on", async () => {
      const init = runInit();
      await store.createRun(init);
      await store.appendHistory(init.id, rows(0, 2));
      await store.transaction!((tx) => tx.setIngestSeq(init.id, "writer-a", 2));
      const before = await snapshot(store, init.id, "writer-a");
      const other = runInit();
      const err = await store.transaction!(async (tx) => {
        await tx.updateRun(init.id, { notes: "changed", state: "finished", exitCode: 0 });
        await tx.appendHistory(init.id, rows(2, 3));
        await tx.appendHistoryBatch(init.id, rowsToBatch(rows(5, 2)));
        await tx.appendSystem(init.id, [{ timestamp: 1, values: { "system/cpu": 1 } }]);
        await tx.appendConsole(init.id, [{ stream: "stderr", timestamp: 1, text: "x" }]);
        await tx.setIngestSeq(init.id, "writer-a", 9);
        await tx.setIngestSeq(init.id, "writer-new", 1);
        await tx.createRun(other);
        await tx.appendHistory(other.id, rows(0, 1));
        throw new Refused("refused");
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Refused);
      expect(await snapshot(store, init.id, "writer-a")).toEqual(before);
      expect(await store.getRun(other.id)).toBeUndefined();
      expect(await store.transaction!((tx) => tx.ingestSeq(init.id, "writer-new"))).toBeUndefined();
      // A store error inside (a duplicate id) rolls back what came before it as well.
      const dup = await store.transaction!(async (tx) => {
        await tx.appendHistory(init.id, rows(2, 1));
        await tx.createRun(init);
      }).catch((e: unknown) => e);
      expect((dup as { code?: unknown }).code).toBe("duplicate");
      expect(await snapshot(store, init.id, "writer-a")).toEqual(before);
    });

    it("runs transactions one after another", async () => {
      const init = runInit();
      await store.createRun(init);
      // Each reads the counter, waits a turn, then writes it + 1: interleaved, one would be lost.
      const bump = (tx: StoreTransaction) =>
        tx.ingestSeq(init.id, "counter").then(async (n) => {
          await Promise.resolve();
          await tx.setIngestSeq(init.id, "counter", (n ?? 0) + 1);
        });
      const failing = store.transaction!(async (tx) => {
        await bump(tx);
        throw new Refused("one refused in the middle");
      });
      await Promise.all([
        store.transaction!(bump),
        failing.catch(() => {}),
        store.transaction!(bump),
        store.transaction!(bump),
      ]);
      expect(await store.transaction!((tx) => tx.ingestSeq(init.id, "counter"))).toBe(3);
    });

    it("refuses a transaction object used after its transaction ended", async () => {
      let kept: StoreTransaction | undefined;
      await store.transaction!(async (tx) => {
        kept = tx;
      });
      await expect(kept!.createRun(runInit())).rejects.toThrow(/ended/);
    });
  });
}
