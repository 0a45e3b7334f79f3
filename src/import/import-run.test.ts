import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { FIXTURES, fixtureRun, reviveSpecial, tempDir } from "./fixtures.test-helpers.js";
import { importWandbRun } from "./import-run.js";
import { BLOCK_SIZE } from "./leveldb-log.js";

interface Expected {
  id: string;
  name: string;
  project: string;
  group?: string;
  jobType?: string;
  tags?: string[];
  notes?: string;
  config?: Record<string, unknown>;
  steps: number;
  stepsSeen?: number[];
  keys?: string[];
  summary?: Record<string, unknown>;
  exitCode: number;
}

const expected = JSON.parse(readFileSync(join(FIXTURES, "expected.json"), "utf8")) as Expected[];

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

describe("importWandbRun on real wandb 0.30 offline runs", () => {
  for (const exp of expected) {
    it(`imports ${exp.id} as expected.json describes it`, async () => {
      const res = await importWandbRun(fixtureRun(exp.id), store);
      expect(res).toMatchObject({ runId: exp.id, status: "imported", steps: exp.steps });
      expect(res.error).toBeUndefined();

      const run = (await store.getRun(exp.id))!;
      expect(run.name).toBe(exp.name);
      expect(run.project).toBe(exp.project);
      expect(run.group).toBe(exp.group ?? null);
      expect(run.jobType).toBe(exp.jobType ?? null);
      expect(run.tags).toEqual(exp.tags ?? []);
      expect(run.notes).toBe(exp.notes ?? null);
      expect(run.config).toEqual(exp.config ?? {});
      expect(run.exitCode).toBe(exp.exitCode);
      expect(run.state).toBe(exp.exitCode === 0 ? "finished" : "failed");
      expect(run.finishedAt).toBeGreaterThanOrEqual(run.createdAt);
      if (exp.summary) expect(run.summary).toEqual(reviveSpecial(exp.summary));

      const rows = await store.readHistory(exp.id);
      expect(rows).toHaveLength(exp.steps);
      if (exp.stepsSeen) expect(rows.map((r) => r.step)).toEqual(exp.stepsSeen);
      if (exp.keys) {
        const keys = (await store.historyKeys(exp.id)).map((k) => k.key).sort();
        expect(keys).toEqual([...exp.keys].sort());
      }
    });
  }

  it("keeps W&B's _step, _runtime and _timestamp on history rows", async () => {
    await importWandbRun(fixtureRun("seedrun0"), store);
    const [first] = await store.readHistory("seedrun0", { limit: 1 });
    expect(first).toEqual({
      step: 0,
      runtime: 0.027540748,
      timestamp: 1796083954.889406,
      values: { loss: 0 },
    });
    const run = (await store.getRun("seedrun0"))!;
    // start_time of the RunRecord (seconds + nanos), in milliseconds.
    expect(run.createdAt).toBe(1796083954858);
  });

  it("reads NaN, Infinity and nested values from rulesrun's history", async () => {
    await importWandbRun(fixtureRun("rulesrun"), store);
    const rows = await store.readHistory("rulesrun");
    expect(rows[2]!.values).toEqual({ acc: 0.9, "nested/a": 1, "nested/b": 2 });
    expect(rows[3]!.values.val_loss).toBeNaN();
    expect(rows[3]!.values.big).toBe(Number.POSITIVE_INFINITY);
  });

  it("reassembles longrun0's 5,000 steps across many 32 KiB blocks in order", async () => {
    const file = fixtureRun("longrun0");
    expect(statSync(file).size).toBeGreaterThan(50 * BLOCK_SIZE);
    await importWandbRun(file, store);
    const rows = await store.readHistory("longrun0");
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    // The fixture logs train/loss = 1 / (step + 1): a misplaced or lost chunk would show here.
    const off = rows.filter(
      (r) => Math.abs((r.values["train/loss"] as number) - 1 / (r.step + 1)) > 1e-12,
    );
    expect(off.map((r) => r.step)).toEqual([]);
    expect((await store.getRun("longrun0"))!.summary["train/loss"]).toBe(0.0002);
  });

  it("skips a run already in the store, and replaces it with force", async () => {
    const file = fixtureRun("seedrun0");
    await importWandbRun(file, store);
    await store.updateRun("seedrun0", { notes: "edited here" });
    const again = await importWandbRun(file, store);
    expect(again).toMatchObject({ runId: "seedrun0", status: "skipped", steps: 0 });
    expect((await store.getRun("seedrun0"))!.notes).toBe("edited here");
    expect(await store.readHistory("seedrun0")).toHaveLength(10);

    const forced = await importWandbRun(file, store, { force: true });
    expect(forced).toMatchObject({ status: "replaced", steps: 10 });
    expect((await store.getRun("seedrun0"))!.notes).toBe("first trial");
    expect(await store.readHistory("seedrun0")).toHaveLength(10);
    expect((await store.listRuns()).total).toBe(1);
  });
});
