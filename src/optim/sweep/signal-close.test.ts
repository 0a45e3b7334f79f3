/**
 * `closeOnTermination` on a real SQLite store, its cleanup run the way the termination handler
 * runs it (`runCleanups`, without ending this process): the sweep's record is closed failed
 * with the signal's code when the process ends, left alone while a user's handler decides or
 * once unregistered, and a store without synchronous writes registers nothing. The real
 * signal path is `test/e2e/faults-sweep-signals.test.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCleanups } from "../../shared/termination.js";
import { SqliteStore } from "../../store/sqlite/index.js";
import type { Store } from "../../store/types.js";
import { MemoryStore } from "../../track/memory-store.js";
import { closeOnTermination } from "./signal-close.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function storeWithRecord(): Promise<SqliteStore> {
  const dir = mkdtempSync(join(tmpdir(), "amltk-sweep-signal-"));
  const store = await SqliteStore.open(dir);
  cleanup.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => store.close(),
  );
  await store.createRun({ id: "sweep.s", project: "s", name: "s", createdAt: Date.now() });
  return store;
}

describe("closeOnTermination", () => {
  it("closes the record failed with the signal's code when the process ends", async () => {
    const store = await storeWithRecord();
    const stop = closeOnTermination(store, "sweep.s");
    cleanup.push(stop);
    runCleanups({ signal: "SIGTERM", exitCode: 143, ending: true });
    expect(await store.getRun("sweep.s")).toMatchObject({ state: "failed", exitCode: 143 });
  });

  it("leaves it open while a user's handler decides, and once unregistered", async () => {
    const store = await storeWithRecord();
    const stop = closeOnTermination(store, "sweep.s");
    runCleanups({ signal: "SIGINT", exitCode: 130, ending: false });
    expect(await store.getRun("sweep.s")).toMatchObject({ state: "running", exitCode: null });
    stop();
    runCleanups({ signal: "SIGINT", exitCode: 130, ending: true });
    expect(await store.getRun("sweep.s")).toMatchObject({ state: "running", exitCode: null });
  });

  it("registers nothing on a store without synchronous writes", () => {
    const before = process.listenerCount("SIGINT");
    const asyncOnly: Store = new MemoryStore();
    const stop = closeOnTermination(asyncOnly, "sweep.s");
    expect(process.listenerCount("SIGINT")).toBe(before);
    stop();
  });
});
