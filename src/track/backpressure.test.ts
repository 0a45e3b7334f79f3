import { expect, it } from "vitest";
import type { HistoryRow } from "../store/types.js";
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
