import { expect, it, vi } from "vitest";
import { type HistoryRow, StoreError } from "../store/types.js";
import { init } from "./init.js";
import { MemoryStore } from "./memory-store.js";

class SlowStore extends MemoryStore {
  asyncCalls = 0;
  syncCalls = 0;
  maxBatch = 0;
  override async appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void> {
    this.asyncCalls++;
    this.maxBatch = Math.max(this.maxBatch, rows.length);
    await new Promise((r) => setTimeout(r, 50));
    super.appendHistorySync(runId, rows);
  }
  override appendHistorySync(runId: string, rows: readonly HistoryRow[]): void {
    this.syncCalls++;
    this.maxBatch = Math.max(this.maxBatch, rows.length);
    super.appendHistorySync(runId, rows);
  }
}

it("bounds the buffer: flushes at the cap, writes synchronously while a flush is in flight", async () => {
  const store = new SlowStore();
  const run = await init({
    store,
    systemInterval: 0,
    maxBufferedRows: 100,
    reinit: "create_new",
  });
  for (let i = 0; i < 1000; i++) run.log({ i });
  expect(store.syncCalls).toBeGreaterThan(0);
  expect(store.maxBatch).toBeLessThanOrEqual(100);
  await run.finish();
  const steps = store.history.get(run.id)!.map((r) => r.step);
  expect(steps.length).toBe(1000);
  expect(new Set(steps).size).toBe(1000);
});

class FlakyStore extends MemoryStore {
  failures: StoreError[] = [];
  override appendHistorySync(runId: string, rows: readonly HistoryRow[]): void {
    const e = this.failures.shift();
    if (e) throw e;
    super.appendHistorySync(runId, rows);
  }
}

it("keeps rows whose write failed with busy and writes them on a later flush", async () => {
  const store = new FlakyStore();
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  const run = await init({ store, systemInterval: 0, maxBufferedRows: 10, reinit: "create_new" });
  store.failures.push(new StoreError("database stayed busy", "busy"));
  for (let i = 0; i < 25; i++) run.log({ i });
  await run.finish();
  // Every row once (a store keys rows by step, so the retried batch may land after newer ones).
  const steps = store.history.get(run.id)!.map((r) => r.step);
  expect(steps.sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
  expect(warn).toHaveBeenCalledWith(expect.stringMatching(/busy/));
  warn.mockRestore();
});

it("drops only the batch the store refused for good", async () => {
  const store = new FlakyStore();
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  const run = await init({ store, systemInterval: 0, maxBufferedRows: 10, reinit: "create_new" });
  for (let i = 0; i < 10; i++) run.log({ i }); // written at once (backpressure)
  store.failures.push(new StoreError("bad", "invalid"));
  for (let i = 10; i < 30; i++) run.log({ i });
  await run.finish();
  const steps = store.history.get(run.id)!.map((r) => r.step);
  expect(steps).toHaveLength(20);
  expect(steps.slice(0, 10)).toEqual([...Array(10).keys()]);
  warn.mockRestore();
});
