/**
 * A durable sweep journals a pruned trial's run with the state `pruned` (exit code 0), while
 * the report it replays stays what it was: a fail report that `isPruned` recognizes. Real
 * SQLite store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../store/sqlite/index.js";
import { Metric } from "../../trial/metric.js";
import { isPruned, Pruned } from "../../trial/pruning.js";
import { RandomSearch } from "../random.js";
import { float, space } from "../space/index.js";
import { DurableSweep } from "./durable-sweep.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const optimizer = () =>
  new RandomSearch({ space: space({ x: float(0, 1) }), metrics: new Metric("loss"), seed: 3 });

describe("durable sweep: pruned trials", () => {
  it("stores a pruned trial's run as pruned and replays its report as a pruned fail", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-sweep-pruned-"));
    dirs.push(dir);
    const store = await SqliteStore.open(dir);
    try {
      const sweep = await DurableSweep.open({ name: "sp", store }, optimizer());
      const a = (await sweep.ask())!;
      const b = (await sweep.ask())!;
      await sweep.tell(a.fail(new Pruned(3)));
      await sweep.tell(b.success({ loss: 0.5 }));
      await sweep.close();

      const pruned = await store.listRuns({ project: "sp", state: "pruned" });
      expect(pruned.runs.map((r) => r.name)).toEqual([a.name]);
      expect(pruned.runs[0]).toMatchObject({ exitCode: 0, jobType: "trial" });
      const finished = await store.listRuns({ project: "sp", state: "finished" });
      expect(finished.runs.map((r) => r.name)).toContain(b.name);

      const again = await DurableSweep.open({ name: "sp", store }, optimizer());
      const told = again.told.find((r) => r.name === a.name)!;
      expect(told.status).toBe("fail");
      expect(isPruned(told)).toBe(true);
      await again.close();
    } finally {
      await store.close();
    }
  });
});
