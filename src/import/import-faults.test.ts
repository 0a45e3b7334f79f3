import { rmSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { type Store, StoreError, type StoreTransaction } from "../store/types.js";
import { fixtureRun, tempDir } from "./fixtures.test-helpers.js";
import { importWandbRun } from "./import-run.js";

let dir: string;
let store: SqliteStore;
beforeEach(async () => {
  dir = tempDir();
  store = await SqliteStore.open(dir);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const fault = () => new StoreError("injected: the disk went away", "invalid");

/** The real store, whose second history write (of a run's several batches) fails. */
function failingSecondWrite(real: SqliteStore, withTransactions: boolean): Store {
  let writes = 0;
  const failOnSecond = () => {
    if (++writes === 2) throw fault();
  };
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === "transaction") {
        if (!withTransactions) return undefined;
        return <T>(fn: (tx: StoreTransaction) => Promise<T>) =>
          target.transaction((tx) =>
            fn({
              ...tx,
              getRun: (id) => tx.getRun(id),
              createRun: (r) => tx.createRun(r),
              updateRun: (id, p) => tx.updateRun(id, p),
              appendHistory: async (id, rows) => {
                failOnSecond();
                await tx.appendHistory(id, rows);
              },
              appendSystem: (id, s) => tx.appendSystem(id, s),
              appendConsole: (id, l) => tx.appendConsole(id, l),
            }),
          );
      }
      if (prop === "appendHistory") {
        return async (id: string, rows: Parameters<Store["appendHistory"]>[1]) => {
          failOnSecond();
          await target.appendHistory(id, rows);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("a failed import leaves no run behind", () => {
  for (const withTransactions of [true, false]) {
    it(`${withTransactions ? "rolls back its transaction" : "deletes the run it made"} when the store fails mid-run`, async () => {
      const faulty = failingSecondWrite(store, withTransactions);
      await expect(importWandbRun(fixtureRun("longrun0"), faulty)).rejects.toThrow(/injected/);
      expect(await store.getRun("longrun0")).toBeUndefined();
      expect((await store.listRuns()).total).toBe(0);
      // Nothing stands in the way of the next import, which brings the whole run.
      const again = await importWandbRun(fixtureRun("longrun0"), store);
      expect(again).toMatchObject({ status: "imported", steps: 5000, state: "finished" });
    });
  }
});
