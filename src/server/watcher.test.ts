import { describe, expect, it } from "vitest";
import type { RunQuery, RunRecord } from "../store/types.js";
import { MemoryStore } from "../track/memory-store.js";
import { type Subscriber, Watcher } from "./watcher.js";

/** A store that says when it changed through `changeVersion`, and counts the watcher's looks. */
class VersionedStore extends MemoryStore {
  version = 1;
  lists = 0;
  async changeVersion(): Promise<number> {
    return this.version;
  }
  override async listRuns(query?: RunQuery): Promise<{ runs: RunRecord[]; total: number }> {
    this.lists++;
    return super.listRuns(query);
  }
}

/** Waits (bounded) until `pred` holds, giving pending ticks their turn. */
async function until(pred: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error("condition not reached within 5 s");
    await new Promise((r) => setImmediate(r));
  }
}

describe("Watcher on Store.changeVersion", () => {
  it("looks for news only when the store's change version moved", async () => {
    const store = new VersionedStore();
    // No timer ticks during the test: each tick is called by hand.
    const watcher = new Watcher(store, 3_600_000);
    const runs: string[] = [];
    const sub: Subscriber = {
      send: (event, data) => {
        if (event === "run") runs.push((data as { run: RunRecord }).run.id);
      },
    };
    const unsubscribe = watcher.subscribe(sub);
    await until(() => store.lists > 0);
    await watcher.tick();
    const looked = store.lists;
    await store.createRun({ id: "r1", project: "p", name: "r1", createdAt: Date.now() });
    await watcher.tick();
    expect(store.lists).toBe(looked); // version unchanged: no look, no news yet
    expect(runs).toEqual([]);
    store.version++;
    await watcher.tick();
    expect(store.lists).toBeGreaterThan(looked);
    expect(runs).toEqual(["r1"]);
    unsubscribe();
  });

  it("looks after the server's own writes even when the version did not move", async () => {
    const store = new VersionedStore();
    const watcher = new Watcher(store, 3_600_000);
    const runs: string[] = [];
    const unsubscribe = watcher.subscribe({
      send: (event, data) => {
        if (event === "run") runs.push((data as { run: RunRecord }).run.id);
      },
    });
    await until(() => store.lists > 0);
    await watcher.tick();
    await store.createRun({ id: "r2", project: "p", name: "r2", createdAt: Date.now() });
    watcher.changed();
    await watcher.tick();
    expect(runs).toEqual(["r2"]);
    unsubscribe();
  });
});
