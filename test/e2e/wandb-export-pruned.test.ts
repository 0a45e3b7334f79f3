/**
 * W&B has no pruned state: `exportWandbRun` writes a pruned run as ended with exit code 0 and
 * tagged "pruned", and `importWandbRun` reads such a run back as `pruned` (a W&B run that ended
 * 0 without the tag stays finished; no exit record stays crashed). Real SQLite stores, a real
 * W&B transaction log on disk.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportWandbRun } from "../../src/export/export-run.js";
import { importWandbRun } from "../../src/import/import-run.js";
import { wandbEndState } from "../../src/protocol/wandb/run-state.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { tempDirs } from "../../src/store/sqlite/sqlite.test-helpers.js";

const tmp = tempDirs("amltk-wandb-pruned-");
const T0 = 1_796_000_000_000;

describe("pruned runs through W&B offline run folders", () => {
  it("exports a pruned run as exit 0 tagged pruned, and imports it back pruned", async () => {
    const home = tmp();
    const a = await SqliteStore.open(join(home, "a"));
    const b = await SqliteStore.open(join(home, "b"));
    try {
      await a.createRun({
        id: "pr1",
        project: "p",
        name: "trial-3",
        tags: ["sweep"],
        createdAt: T0,
      });
      await a.appendHistory("pr1", [
        { step: 0, runtime: 1, timestamp: T0 / 1000 + 1, values: { loss: 0.9 } },
        { step: 1, runtime: 2, timestamp: T0 / 1000 + 2, values: { loss: 0.8 } },
      ]);
      await a.updateRun("pr1", { state: "pruned", exitCode: 0, finishedAt: T0 + 2000 });
      const exported = await exportWandbRun(a, "pr1", { out: join(home, "wandb") });
      const imported = await importWandbRun(exported.file, b);
      expect(imported).toMatchObject({ status: "imported", steps: 2, state: "pruned" });
      const rb = (await b.getRun("pr1"))!;
      expect(rb).toMatchObject({ state: "pruned", exitCode: 0 });
      expect(rb.tags).toEqual(["sweep", "pruned"]);
      // The source run's own tags are left as they were.
      expect((await a.getRun("pr1"))!.tags).toEqual(["sweep"]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("maps W&B ends to run states", () => {
    expect(wandbEndState(0, ["pruned"])).toBe("pruned");
    expect(wandbEndState(0, ["x"])).toBe("finished");
    expect(wandbEndState(1, ["pruned"])).toBe("failed");
    expect(wandbEndState(undefined, ["pruned"])).toBe("crashed");
  });
});
