import { afterEach, describe, expect, it } from "vitest";
import { rowsToBatch } from "../store/history-batch.js";
import { keyVersionRows } from "../store/sqlite/last-grid.js";
import type { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { SQLITE_BACKEND, startServerOn, T0, type TestServer } from "./server.test-helpers.js";

let ts: TestServer<SqliteStore> | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

const rows = (from: number, to: number, by: number, value: (s: number) => number) =>
  Array.from({ length: Math.floor((to - from) / by) + 1 }, (_, i) => {
    const s = from + i * by;
    return { step: s, runtime: s, timestamp: T0 / 1000 + s, values: { loss: value(s) } };
  });

/** 10 runs of project p: 5 in group "a" logging every step 0..99, 5 in "b" every other. */
async function fill(t: TestServer<SqliteStore>): Promise<void> {
  for (let k = 0; k < 10; k++) {
    const id = `r${k}`;
    const group = k < 5 ? "a" : "b";
    await t.store.createRun({ id, project: "p", name: id, group, createdAt: T0 + k });
    await t.store.appendHistory(
      id,
      rows(0, group === "a" ? 99 : 98, group === "a" ? 1 : 2, (s) => k + s),
    );
  }
  await t.store.createRun({ id: "other", project: "q", name: "other", createdAt: T0 });
}

const body = { runsQuery: "project=p&limit=1000", by: "group", keys: ["loss"], buckets: 50 };

async function grouped(t: TestServer<SqliteStore>) {
  const res = await t.call("POST", "/api/series/groups", body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const [a, b] = res.body.series as { group: string; max: number[]; n: number[] }[];
  return { a: a!, b: b! };
}

describe.each([0, 2])("grouped chart rows kept between requests (read threads: %i)", (threads) => {
  it("sees a write to one of its runs, and nothing changes with writes elsewhere", async () => {
    ts = await startServerOn(SQLITE_BACKEND, { readThreads: threads });
    await fill(ts);
    const first = await grouped(ts);
    expect(first.b.max.at(-1)).toBe(9 + 98);

    // Another project's run, and another run's notes: the same answer (from the kept rows).
    await ts.store.appendHistory(
      "other",
      rows(0, 500, 1, () => 1e6),
    );
    await ts.store.updateRun("r0", { notes: "touched" });
    expect(await grouped(ts)).toEqual(first);

    // A point inside the common range (0..99) of one run of group b: its row is read again.
    await ts.store.appendHistory(
      "r9",
      rows(99, 99, 1, () => 5000),
    );
    const after = await grouped(ts);
    expect(after.b.max.at(-1)).toBe(5000);
    expect(after.a).toEqual(first.a);

    // A run closed with its history packed (one blob instead of chunks) is read afresh too.
    await ts.store.createRun({ id: "r10", project: "p", name: "r10", group: "b", createdAt: T0 });
    await grouped(ts);
    ts.store.writeRunSync("r10", {
      history: [rowsToBatch(rows(0, 98, 2, () => -7000))],
      patch: { state: "finished", finishedAt: T0 + 1 },
    });
    const packed = await grouped(ts);
    expect(Math.min(...(packed.b as unknown as { min: number[] }).min)).toBe(-7000);
  });
});

describe("keyVersionRows", () => {
  it("changes for a run when its points of the key change, and only then", async () => {
    ts = await startServerOn(SQLITE_BACKEND);
    await fill(ts);
    const db = ts.store.db;
    const ids = ["r0", "r5", "nope"];
    const v0 = keyVersionRows(db, ids, "loss");
    expect(v0[2]).toBe("");
    expect(v0[0]).not.toBe("");
    await ts.store.appendHistory(
      "r5",
      rows(100, 100, 1, () => 1),
    );
    const v1 = keyVersionRows(db, ids, "loss");
    expect(v1[0]).toBe(v0[0]);
    expect(v1[1]).not.toBe(v0[1]);
    // Another key of the same run leaves this key's version alone.
    await ts.store.appendHistory("r0", [
      { step: 100, runtime: 1, timestamp: T0 / 1000, values: { acc: 1 } },
    ]);
    expect(keyVersionRows(db, ids, "loss")[0]).toBe(v0[0]);
  });
});
