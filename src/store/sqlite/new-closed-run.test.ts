import { expect, it } from "vitest";
import { rowsToBatch } from "../history-batch.js";
import type { HistoryRow, RunPatch } from "../types.js";
import { SqliteStore } from "./index.js";
import { tempDirs } from "./sqlite.test-helpers.js";

const tmp = tempDirs("amltk-new-closed-");
const CLOSE = { state: "finished", exitCode: 0, summary: { loss: 0.5 } } as const;

const rows = (n: number): HistoryRow[] =>
  Array.from({ length: n }, (_, step) => ({
    step,
    runtime: step,
    timestamp: 1 + step,
    values: { x: step, y: -step },
  }));

/** A run created, filled and closed by one write, against the same run written in three. */
async function compareWithStepwise(n: number) {
  const store = SqliteStore.openSync(tmp());
  const init = { project: "p", name: "n", createdAt: 1, config: { lr: 0.1 } };
  store.writeRunSync("one", {
    create: { ...init, id: "one" },
    history: [rowsToBatch(rows(n))],
    patch: CLOSE,
  });
  store.createRunSync({ ...init, id: "three" });
  store.writeRunSync("three", { history: [rowsToBatch(rows(n))], fresh: true });
  store.writeRunSync("three", { history: [], patch: CLOSE });
  const [one, three] = [await store.getRun("one"), await store.getRun("three")];
  expect({ ...one, id: "" }).toEqual({ ...three, id: "" });
  expect(await store.readHistory("one")).toEqual(await store.readHistory("three"));
  expect((await store.readHistory("one")).length).toBe(n);
  return store;
}

it("a new run closed by its first write reads as one written step by step (packed history)", async () => {
  (await compareWithStepwise(10)).close();
});

it("a new run closed by its first write keeps a history too long for a pack in chunks", async () => {
  (await compareWithStepwise(5000)).close();
});

it("a refused new closed run stores nothing and names the bad value", async () => {
  const store = SqliteStore.openSync(tmp());
  const create = { id: "r", project: "p", name: "n", createdAt: 1 };
  expect(() =>
    store.writeRunSync("r", {
      create,
      history: [rowsToBatch(rows(3))],
      patch: { state: "nope" as "finished" },
    }),
  ).toThrow(/nope|state/);
  expect(await store.getRun("r")).toBeUndefined();
  store.writeRunSync("r", { create, history: [rowsToBatch(rows(3))], patch: CLOSE });
  expect(() =>
    store.writeRunSync("r", { create, history: [rowsToBatch(rows(3))], patch: CLOSE }),
  ).toThrow(/"r"/);
  expect((await store.readHistory("r")).length).toBe(3);
  store.close();
});

it("a closing patch of every field gives the row an INSERT then an UPDATE gave, byte for byte", async () => {
  const store = SqliteStore.openSync(tmp());
  const init = {
    project: "p",
    name: "n",
    createdAt: 1,
    config: { lr: 0.1 },
    tags: ["a"],
    pid: 7,
    host: "h",
    ownerStart: "token",
  };
  const patch: RunPatch = {
    ...CLOSE,
    summary: { loss: Number.NaN, best: [1, 2], none: null },
    config: { lr: 0.2, extra: Number.POSITIVE_INFINITY },
    name: "renamed",
    notes: "note",
    group: "g",
    jobType: "j",
    tags: ["b", "c"],
    heartbeatAt: 5,
    finishedAt: 6,
    pid: 8, // a new pid without an owner token clears the old token
    exitCode: 3,
    state: "failed",
  };
  store.writeRunSync("one", {
    create: { ...init, id: "one" },
    history: [rowsToBatch(rows(4))],
    patch,
  });
  store.createRunSync({ ...init, id: "two" });
  store.writeRunSync("two", { history: [rowsToBatch(rows(4))], fresh: true, patch });
  const row = (id: string) =>
    (store as unknown as { db: { prepare(s: string): { get(id: string): object } } }).db
      .prepare("SELECT * FROM runs WHERE id = ?")
      .get(id);
  expect({ ...row("one"), id: "" }).toEqual({ ...row("two"), id: "" });
  expect(row("one")).toMatchObject({ owner_start: null, state: "failed", pid: 8, notes: "note" });
  expect(await store.readHistory("one")).toEqual(await store.readHistory("two"));
  store.close();
});
