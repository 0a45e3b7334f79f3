import { describe, expect, it } from "vitest";
import { SqliteStore } from "./index.js";
import { tempDirs } from "./sqlite.test-helpers.js";

const tempDir = tempDirs("amltk-change-version-");

describe("SqliteStore.changeVersion", () => {
  it("stays the same while nothing is written", async () => {
    const store = await SqliteStore.open(tempDir());
    await store.createRun({ id: "r", project: "p", name: "r", createdAt: 1 });
    const v = await store.changeVersion();
    await store.listRuns();
    await store.readHistory("r");
    expect(await store.changeVersion()).toBe(v);
    await store.close();
  });

  it("changes after this connection's own commit", async () => {
    const store = await SqliteStore.open(tempDir());
    const v = await store.changeVersion();
    await store.createRun({ id: "r", project: "p", name: "r", createdAt: 1 });
    const after = await store.changeVersion();
    expect(after).not.toBe(v);
    await store.updateRun("r", { notes: "n" });
    expect(await store.changeVersion()).not.toBe(after);
    await store.close();
  });

  it("changes after another connection's commit (another process on the file)", async () => {
    const dir = tempDir();
    const reader = await SqliteStore.open(dir);
    const writer = await SqliteStore.open(dir);
    const v = await reader.changeVersion();
    await writer.createRun({ id: "r", project: "p", name: "r", createdAt: 1 });
    const after = await reader.changeVersion();
    expect(after).not.toBe(v);
    expect(await reader.changeVersion()).toBe(after);
    await writer.close();
    await reader.close();
  });
});
