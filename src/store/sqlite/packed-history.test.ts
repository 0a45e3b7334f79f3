import { expect, it } from "vitest";
import { rowsToBatch } from "../history-batch.js";
import type { HistoryRow, SeriesQuery } from "../types.js";
import { writeBatch } from "./chunks.js";
import { PACK_MAX_BYTES } from "./history-pack.js";
import { MIGRATIONS, SqliteStore } from "./index.js";
import { oldDatabase, tempDirs, trialRows } from "./sqlite.test-helpers.js";

const tmp = tempDirs("amltk-packed-");

const CLOSE = { state: "finished", exitCode: 0 } as const;

/** Two runs with the same history: `packed` closed by the write that holds it, `chunked` not. */
function twoRuns(store: SqliteStore, rows: HistoryRow[]): void {
  for (const id of ["packed", "chunked"]) {
    store.createRunSync({ id, project: "p", name: id, createdAt: 1 });
  }
  const half = Math.ceil(rows.length / 2);
  store.writeRunSync("packed", {
    history: [rowsToBatch(rows.slice(0, half)), rowsToBatch(rows.slice(half))],
    fresh: true,
    patch: CLOSE,
  });
  store.writeRunSync("chunked", { history: [rowsToBatch(rows)], fresh: true });
  store.writeRunSync("chunked", { history: [], patch: CLOSE });
}

function packOf(store: SqliteStore, id: string): Buffer | null {
  const row = store.db.prepare("SELECT history_pack AS p FROM runs WHERE id = ?").get(id) as {
    p: Buffer | null;
  };
  return row.p;
}

/** Every read of run `a` equals the same read of run `b` (JSON text too: same key order). */
async function expectSameReads(store: SqliteStore, a: string, b: string): Promise<void> {
  const same = (x: unknown, y: unknown) => {
    expect(x).toEqual(y);
    expect(JSON.stringify(x)).toBe(JSON.stringify(y));
  };
  for (const opts of [{}, { minStep: 2 }, { maxStep: 7 }, { minStep: 1, limit: 3 }, { limit: 0 }]) {
    same(await store.readHistory(a, opts), await store.readHistory(b, opts));
  }
  for (const key of ["loss", "acc/top1", "ü/ключ", "status", "note", "mixed", "absent"]) {
    for (const range of [{}, { minStep: 3, maxStep: 8 }, { limit: 2 }]) {
      same(
        await store.readPoints({ runId: a, key, ...range }),
        await store.readPoints({ runId: b, key, ...range }),
      );
    }
  }
  same(await store.historyKeys(a), await store.historyKeys(b));
  const queries: Omit<SeriesQuery, "runIds">[] = [
    { keys: ["loss", "acc/top1", "ü/ключ", "mixed", "status"], x: "step", buckets: 3 },
    { keys: ["loss", "acc/top1"], x: "step", buckets: 1000 },
    { keys: ["loss", "acc/top1"], x: "step", buckets: 2, minX: 1, maxX: 8 },
    { keys: ["loss", "acc/top1"], x: "time", buckets: 4 },
  ];
  for (const q of queries) {
    const [x, y] = [a, b].map((id) => store.readSeries({ ...q, runIds: [id] }));
    same(
      (await x).map((s) => s.buckets),
      (await y).map((s) => s.buckets),
    );
  }
  expect((await store.getRun(a))?.nextStep).toBe((await store.getRun(b))?.nextStep);
}

it("packs a run's history written with its closing patch, and reads it as from chunks", async () => {
  const store = SqliteStore.openSync(tmp());
  twoRuns(store, trialRows());
  expect(packOf(store, "packed")).not.toBeNull();
  expect(packOf(store, "chunked")).toBeNull();
  const chunkRows = store.db.prepare("SELECT COUNT(*) AS n FROM history_chunks WHERE run = ?");
  expect(chunkRows.get("packed")).toEqual({ n: 0 });
  await expectSameReads(store, "packed", "chunked");
  const [row] = await store.readHistory("packed", { minStep: 1, limit: 1 });
  expect(Object.is(row.values.loss, -0)).toBe(true);
  expect((await store.getRun("packed"))?.nextStep).toBe(21);
  const view = store.db.prepare("SELECT MAX(step) AS s FROM history_rows WHERE run = 'packed'");
  expect(view.get()).toEqual({ s: 20 });
  store.closeSync();
});

it("moves a pack into chunks before any later write, and keeps every point", async () => {
  const store = SqliteStore.openSync(tmp());
  const rows = trialRows();
  twoRuns(store, rows);
  const more = (from: number): HistoryRow[] =>
    [from, from + 1].map((step) => ({
      step,
      runtime: step,
      timestamp: 1_800_000_000 + step,
      values: { loss: step, extra: `e${step}` },
    }));
  // A write with no rows (a flush of summary only) leaves the pack as it is.
  store.writeRunSync("packed", { history: [rowsToBatch([])], patch: { summary: { a: 1 } } });
  expect(packOf(store, "packed")).not.toBeNull();
  // A resumed run logs again (a flush: not closing), then closes with more.
  for (const id of ["packed", "chunked"]) {
    store.updateRunSync(id, { state: "running", exitCode: null });
    store.writeRunSync(id, { history: [rowsToBatch(more(30))] });
  }
  expect(packOf(store, "packed")).toBeNull();
  await expectSameReads(store, "packed", "chunked");
  for (const id of ["packed", "chunked"]) store.appendHistorySync(id, more(40));
  await expectSameReads(store, "packed", "chunked");
  expect((await store.readPoints({ runId: "packed", key: "loss" })).length).toBe(rows.length + 4);
  expect((await store.getRun("packed"))?.nextStep).toBe(42);
  store.closeSync();
});

it("re-packs a resumed packed run that closes again, unless the history outgrows a pack", async () => {
  const store = SqliteStore.openSync(tmp());
  twoRuns(store, trialRows());
  const row = (step: number, values: HistoryRow["values"]): HistoryRow => ({
    step,
    runtime: step,
    timestamp: 1_800_000_000 + step,
    values,
  });
  for (const id of ["packed", "chunked"]) {
    store.writeRunSync(id, { history: [rowsToBatch([row(21, { loss: 9 })])], patch: CLOSE });
  }
  expect(packOf(store, "packed")).not.toBeNull();
  await expectSameReads(store, "packed", "chunked");
  // A step written again cannot join a pack (chunks keep the later write): chunks it is.
  for (const id of ["packed", "chunked"]) {
    store.writeRunSync(id, { history: [rowsToBatch([row(21, { loss: 10 })])], patch: CLOSE });
  }
  expect(packOf(store, "packed")).toBeNull();
  await expectSameReads(store, "packed", "chunked");
  expect((await store.readPoints({ runId: "packed", key: "loss", minStep: 21 }))[0].value).toBe(10);
  // A closing write too big for a pack goes to chunks.
  store.createRunSync({ id: "big", project: "p", name: "big", createdAt: 1 });
  const big = Array.from({ length: PACK_MAX_BYTES / 24 + 1 }, (_, i) => row(i, { x: i }));
  store.writeRunSync("big", { history: [rowsToBatch(big)], fresh: true, patch: CLOSE });
  expect(packOf(store, "big")).toBeNull();
  expect((await store.readPoints({ runId: "big", key: "x" })).length).toBe(big.length);
  store.closeSync();
});

it("refuses a bad closing write whole, and deletes a packed run with its history", async () => {
  const store = SqliteStore.openSync(tmp());
  store.createRunSync({ id: "r", project: "p", name: "r", createdAt: 1 });
  const bad: HistoryRow = { step: 1, runtime: 0, timestamp: Number.NaN, values: { a: 1 } };
  expect(() =>
    store.writeRunSync("r", { history: [rowsToBatch([bad])], fresh: true, patch: CLOSE }),
  ).toThrow(/runtime or timestamp/);
  expect(await store.getRun("r")).toMatchObject({ state: "running", nextStep: 0 });
  expect(() =>
    store.writeRunSync("nope", { history: [rowsToBatch(trialRows())], patch: CLOSE }),
  ).toThrow(/unknown run id "nope"/);
  store.writeRunSync("r", { history: [rowsToBatch(trialRows())], fresh: true, patch: CLOSE });
  expect(packOf(store, "r")).not.toBeNull();
  await store.deleteRun("r");
  await expect(store.readHistory("r")).rejects.toThrow(/unknown run id "r"/);
  store.closeSync();
});

it("upgrades a version-6 store in place: its chunked runs read as before, new runs pack", async () => {
  const dir = tmp();
  const old = oldDatabase(dir, 6, "old");
  // History as version 6 wrote it: chunks (the chunk writer needs no column of migration 7).
  writeBatch(old, "old", rowsToBatch(trialRows()), true);
  old.close();
  const store = SqliteStore.openSync(dir);
  expect(store.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
  expect(packOf(store, "old")).toBeNull();
  twoRuns(store, trialRows());
  await expectSameReads(store, "old", "chunked");
  await expectSameReads(store, "old", "packed");
  expect((await store.getRun("old"))?.nextStep).toBe(21);
  store.closeSync();
});
