import { expect, it } from "vitest";
import { rowsToBatch } from "../history-batch.js";
import type { HistoryRow } from "../types.js";
import { SqliteStore } from "./index.js";
import { tempDirs } from "./sqlite.test-helpers.js";

const tmp = tempDirs("amltk-write-run-");

function open(): SqliteStore {
  return SqliteStore.openSync(tmp());
}

const rows = (from: number, to: number): HistoryRow[] =>
  Array.from({ length: to - from }, (_, i) => ({
    step: from + i,
    runtime: i,
    timestamp: 1_700_000_000 + i,
    values: { loss: from + i, status: "ok" },
  }));

it("writes history, the run patch and console lines together", async () => {
  const store = open();
  store.createRunSync({ id: "r1", project: "p", name: "r1", createdAt: 1 });
  store.writeRunSync("r1", {
    history: [rowsToBatch(rows(0, 3))],
    fresh: true,
    patch: { state: "finished", exitCode: 0, summary: { loss: 2 } },
    console: [{ stream: "stdout", timestamp: 5, text: "hi" }],
  });
  const run = await store.getRun("r1");
  expect(run).toMatchObject({ state: "finished", exitCode: 0, summary: { loss: 2 }, nextStep: 3 });
  expect((await store.readHistory("r1")).map((r) => r.values)).toEqual([
    { loss: 0, status: "ok" },
    { loss: 1, status: "ok" },
    { loss: 2, status: "ok" },
  ]);
  expect((await store.readConsole("r1")).map((l) => l.text)).toEqual(["hi"]);
  store.closeSync();
});

it("writes nothing when any part is refused", async () => {
  const store = open();
  store.createRunSync({ id: "r2", project: "p", name: "r2", createdAt: 1 });
  expect(() =>
    store.writeRunSync("r2", {
      history: [rowsToBatch(rows(0, 2))],
      patch: { state: "finished", exitCode: Number.NaN },
    }),
  ).toThrow(/exitCode/);
  expect(await store.getRun("r2")).toMatchObject({ state: "running", nextStep: 0 });
  expect(await store.readHistory("r2")).toEqual([]);
  store.closeSync();
});

it("a wrong `fresh` hint costs a chunk row, never a point", async () => {
  const store = open();
  store.createRunSync({ id: "r3", project: "p", name: "r3", createdAt: 1 });
  store.writeRunSync("r3", { history: [rowsToBatch(rows(0, 5))], fresh: true });
  // Claimed fresh although the run has history: the new points start a chunk of their own.
  store.writeRunSync("r3", { history: [rowsToBatch(rows(5, 8))], fresh: true });
  const points = await store.readPoints({ runId: "r3", key: "loss" });
  expect(points.map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(points.map((p) => p.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  // Without the hint, small writes join the last chunk.
  store.writeRunSync("r3", { history: [rowsToBatch(rows(8, 9))] });
  const chunks = store.db
    .prepare("SELECT COUNT(*) AS n FROM history_chunks WHERE run = 'r3' AND key = 'loss'")
    .get() as { n: number };
  expect(chunks.n).toBe(2);
  store.closeSync();
});
