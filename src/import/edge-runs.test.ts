import { existsSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { postgresAvailability } from "../../test/services/postgres.js";
import { skipBecause } from "../../test/skip.js";
import { freshPostgresStore } from "../store/postgres/postgres.test-helpers.js";
import { SqliteStore } from "../store/sqlite/index.js";
import type { Store } from "../store/types.js";
import { MemoryStore } from "../track/memory-store.js";
import { WandbPartOrderError } from "./errors.js";
import { findWandbRunFiles, groupWandbRunParts } from "./find-runs.js";
import { FIXTURES, tempDir } from "./fixtures.test-helpers.js";
import { importWandbRun } from "./import-run.js";

/** Real wandb 0.30 runs of the cases imports used to lose (see its README). */
const EDGE = join(FIXTURES, "..", "wandb-0.30-edge");

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

async function partsOf(id: string): Promise<string[]> {
  const all = groupWandbRunParts(await findWandbRunFiles([EDGE]));
  return all.find((parts) => parts[0]!.endsWith(`run-${id}.wandb`))!;
}

describe("importing real wandb 0.30 runs that used to lose data", () => {
  it("drops and counts rows with a step above 2^53 - 1 and imports the rest", async () => {
    const res = await importWandbRun(await partsOf("bigstep0"), store);
    expect(res).toMatchObject({ status: "imported", steps: 2, droppedRows: 2, state: "finished" });
    expect((await store.readHistory("bigstep0")).map((r) => r.step)).toEqual([0, 1]);
    // A second import sees a whole run (no crashed stub) and skips it.
    expect((await store.getRun("bigstep0"))!.state).toBe("finished");
    expect((await importWandbRun(await partsOf("bigstep0"), store)).status).toBe("skipped");
  });

  it("keeps the last name, tags and notes of a run renamed mid-run", async () => {
    await importWandbRun(await partsOf("renamed0"), store);
    const run = (await store.getRun("renamed0"))!;
    expect(run).toMatchObject({
      name: "second-name",
      tags: ["t2", "t3"],
      notes: "second notes",
      group: "g1",
      jobType: "j1",
    });
  });

  it("merges the two folders of a resumed run in start-time order", async () => {
    const parts = await partsOf("resumed0");
    expect(parts).toHaveLength(2);
    // Given in reverse order, the parts are still read earliest first.
    const res = await importWandbRun([...parts].reverse(), store);
    expect(res).toMatchObject({ status: "imported", steps: 10, droppedSteps: 0 });
    expect(res.files).toEqual(parts);
    const rows = await store.readHistory("resumed0");
    // The resumed part started over at step 0 offline; its rows follow the first part's.
    expect(rows.map((r) => [r.step, r.values.x])).toEqual(
      Array.from({ length: 10 }, (_, i) => [i, i]),
    );
    const run = (await store.getRun("resumed0"))!;
    expect(run).toMatchObject({ state: "finished", exitCode: 0, name: "resumed" });
    expect(run.summary).toMatchObject({ part: 2, x: 9 });
  });

  it("merges a resumed run's later part imported by a second command, once", async () => {
    const [first, second] = await partsOf("resumed0");
    expect((await importWandbRun(first!, store)).status).toBe("imported");
    const res = await importWandbRun(second!, store);
    expect(res).toMatchObject({ status: "merged", steps: 5, droppedSteps: 0, files: [second] });
    const expected = Array.from({ length: 10 }, (_, i) => [i, i]);
    const rows = async () => (await store.readHistory("resumed0")).map((r) => [r.step, r.values.x]);
    expect(await rows()).toEqual(expected);
    const run = (await store.getRun("resumed0"))!;
    expect(run).toMatchObject({ state: "finished", exitCode: 0, name: "resumed" });
    expect(run.summary).toMatchObject({ part: 2, x: 9 });
    // Either part again, or both: nothing doubles and nothing fails.
    expect((await importWandbRun(second!, store)).status).toBe("skipped");
    expect((await importWandbRun([first!, second!], store)).status).toBe("skipped");
    expect(await rows()).toEqual(expected);
  });

  it("a run imported whole before parts were marked: neither part is merged again", async () => {
    const parts = await partsOf("resumed0");
    await importWandbRun(parts, store);
    // As a store written before this release: no part marks in the ingest ledger.
    store.db.prepare("DELETE FROM server_ingest WHERE run = ?").run("resumed0");
    for (const p of parts) expect((await importWandbRun(p, store)).status).toBe("skipped");
    expect(await store.readHistory("resumed0")).toHaveLength(10);
  });

  it("refuses an earlier part imported after a later one, naming its folder", async () => {
    const [first, second] = await partsOf("resumed0");
    await importWandbRun(second!, store);
    const before = await store.readHistory("resumed0");
    const err = await importWandbRun(first!, store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WandbPartOrderError);
    expect((err as Error).message).toContain(basename(dirname(first!)));
    expect(await store.readHistory("resumed0")).toEqual(before);
    // --force replaces the run with both parts merged in start order.
    const res = await importWandbRun([second!, first!], store, { force: true });
    expect(res).toMatchObject({ status: "replaced", steps: 10 });
  });

  it("imports system metrics, console lines, media and histograms whole, and copies files", async () => {
    const filesDir = join(dir, "files");
    const res = await importWandbRun(await partsOf("mediarun"), store, { filesDir });
    expect(res).toMatchObject({ steps: 3, systemSamples: 13, consoleLines: 3, filesCopied: 2 });
    expect(await store.readConsole("mediarun")).toEqual([
      { stream: "stdout", timestamp: 1796426151.468847, text: "hello from stdout" },
      { stream: "stderr", timestamp: 1796426151.469818, text: "to stderr" },
      { stream: "stdout", timestamp: 1796426153.9906049, text: "bye" },
    ]);
    const system = await store.readSeries({
      runIds: ["mediarun"],
      keys: ["system.cpu", "system.proc.memory.rssMB"],
      x: "time",
      buckets: 1000,
      source: "system",
    });
    expect(system.map((s) => s.buckets.reduce((n, b) => n + b.count, 0))).toEqual([13, 13]);

    const rows = await store.readHistory("mediarun");
    expect(Object.keys(rows[0]!.values).sort()).toEqual(["img", "loss"]);
    const img = rows[0]!.values.img as Record<string, unknown>;
    expect(img).toMatchObject({ _type: "image-file", width: 4, height: 4, caption: "dot" });
    expect(existsSync(join(filesDir, "mediarun", img.path as string))).toBe(true);
    const table = rows[1]!.values.table as Record<string, unknown>;
    const tableFile = join(filesDir, "mediarun", table.path as string);
    expect(JSON.parse(readFileSync(tableFile, "utf8"))).toMatchObject({ columns: ["a", "b"] });
    const hist = rows[2]!.values.hist as { _type: string; values: number[]; bins: number[] };
    expect(hist._type).toBe("histogram");
    expect(hist.bins.length).toBe(hist.values.length + 1);
    expect(hist.values.reduce((a, b) => a + b, 0)).toBe(10);
  });
});

const PG = postgresAvailability("W&B import on PostgreSQL");
const noPg = skipBecause(!PG.found, "W&B import on PostgreSQL", PG.reason);

describe("a resumed run's parts imported one at a time, on other stores", () => {
  const cases: [string, boolean, () => Promise<Store>][] = [
    ["memory", false, async () => new MemoryStore()],
    ["PostgreSQL", noPg, () => freshPostgresStore()],
  ];
  for (const [name, pgMissing, open] of cases) {
    const skip = skipBecause(pgMissing, `W&B import on ${name}`, "no PostgreSQL here");
    it.skipIf(skip)(`${name}: the later part is merged once`, async () => {
      const other = await open();
      try {
        const [first, second] = await partsOf("resumed0");
        await importWandbRun(first!, other);
        expect((await importWandbRun(second!, other)).status).toBe("merged");
        expect((await importWandbRun(second!, other)).status).toBe("skipped");
        const rows = await other.readHistory("resumed0");
        expect(rows.map((r) => [r.step, r.values.x])).toEqual(
          Array.from({ length: 10 }, (_, i) => [i, i]),
        );
      } finally {
        await other.close();
      }
    });
  }
});
