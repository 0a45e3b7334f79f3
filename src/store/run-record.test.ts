import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../track/memory-store.js";
import { newRunRecord } from "./run-record.js";
import { SqliteStore } from "./sqlite/index.js";
import type { RunInit, RunQuery, StoredValue } from "./types.js";

const dir = mkdtempSync(join(tmpdir(), "amltk-run-record-"));
let sqlite: SqliteStore;
const memory = new MemoryStore();

// Mixed types on purpose: numbers, numeric text, booleans, nulls, missing keys, objects.
const seeds: { config: Record<string, unknown>; summary: Record<string, StoredValue> }[] = [
  { config: { x: 1, s: "b", flag: true }, summary: { acc: 0.5, tag: "x" } },
  { config: { x: "1", s: "a", flag: false }, summary: { acc: 0.9 } },
  { config: { x: 2.5, s: null, nest: { k: 3 } }, summary: { acc: Number.NaN } },
  { config: { x: -1, flag: true, nest: { k: "3" } }, summary: { acc: 0.9, tag: "y" } },
  { config: { s: "ab", x: null }, summary: {} },
  { config: { x: 10, obj: { a: [1, 2] } }, summary: { acc: Number.POSITIVE_INFINITY } },
];

beforeAll(async () => {
  sqlite = await SqliteStore.open(dir);
  for (const [i, s] of seeds.entries()) {
    const init: RunInit = {
      id: `r${i}`,
      project: i < 4 ? "p" : "q",
      name: `Run ${i % 3}`,
      group: i % 2 ? "odd" : null,
      tags: i % 2 ? ["Odd", "t"] : ["t"],
      notes: i === 5 ? "has 50% less" : null,
      config: s.config,
      createdAt: 1_000 + (i % 4),
    };
    for (const store of [sqlite, memory]) {
      await store.createRun(init);
      await store.updateRun(init.id, { summary: s.summary, state: i === 2 ? "failed" : "running" });
    }
  }
});

afterAll(async () => {
  await sqlite.close();
  rmSync(dir, { recursive: true, force: true });
});

const queries: RunQuery[] = [
  {},
  { sort: "config.x" },
  { sort: "-config.x" },
  { sort: "config.s" },
  { sort: "-summary.acc" },
  { sort: "config.nest.k" },
  { sort: "name", limit: 3, offset: 2 },
  { where: [{ path: "config.x", op: "=", value: 1 }] },
  { where: [{ path: "config.x", op: "!=", value: 1 }] },
  { where: [{ path: "config.x", op: ">", value: 0 }] },
  { where: [{ path: "config.x", op: "<", value: "a" }] },
  { where: [{ path: "config.s", op: ">=", value: "a" }] },
  { where: [{ path: "config.s", op: "=", value: null }] },
  { where: [{ path: "config.s", op: "!=", value: null }] },
  { where: [{ path: "config.flag", op: "=", value: true }] },
  { where: [{ path: "config.flag", op: "in", value: [false, 10] }] },
  { where: [{ path: "config.x", op: "in", value: ["1", 2.5] }] },
  { where: [{ path: "config.x", op: "contains", value: "1" }] },
  { where: [{ path: "config.obj", op: "contains", value: "[1,2]" }] },
  { where: [{ path: "config.nest.k", op: "=", value: 3 }] },
  { where: [{ path: "summary.tag", op: "contains", value: "x" }] },
  { where: [{ path: "group", op: "=", value: null }] },
  { where: [{ path: "createdAt", op: "<=", value: 1_001 }], sort: "-createdAt" },
  { search: "odd" },
  { search: "50%" },
  { search: "run 1" },
  { project: "p", state: ["running"], tags: ["Odd"] },
  { group: "odd", sort: "-name" },
  { where: [{ path: "tags", op: "=", value: "Odd" }] },
  { where: [{ path: "tags", op: "!=", value: "Odd" }] },
  { where: [{ path: "tags", op: "contains", value: "d" }] },
  { where: [{ path: "tags", op: "in", value: ["Odd", "zz"] }] },
  { where: [{ path: "tags", op: "=", value: null }] },
  { where: [{ path: "summary.acc", op: "=", value: Number.NaN }] },
  { where: [{ path: "summary.acc", op: "!=", value: Number.NaN }] },
  { where: [{ path: "summary.acc", op: "=", value: Number.POSITIVE_INFINITY }] },
];

describe("queryRunRecords (memory) and queryRuns (SQLite)", () => {
  it.each(queries.map((q) => [JSON.stringify(q), q] as const))("agree on %s", async (_, q) => {
    const want = await sqlite.listRuns(q);
    const got = await memory.listRuns(q);
    expect(got.total).toBe(want.total);
    expect(got.runs.map((r) => r.id)).toEqual(want.runs.map((r) => r.id));
  });

  it("filters on tags and matches NaN/Infinity", async () => {
    const ids = async (q: RunQuery) => (await sqlite.listRuns(q)).runs.map((r) => r.id).sort();
    expect(await ids({ where: [{ path: "tags", op: "=", value: "Odd" }] })).toEqual([
      "r1",
      "r3",
      "r5",
    ]);
    expect(await ids({ where: [{ path: "tags", op: "contains", value: "dd" }] })).toEqual([
      "r1",
      "r3",
      "r5",
    ]);
    expect(await ids({ where: [{ path: "tags", op: "!=", value: "Odd" }] })).toEqual([
      "r0",
      "r2",
      "r4",
    ]);
    expect(await ids({ where: [{ path: "summary.acc", op: "=", value: Number.NaN }] })).toEqual([
      "r2",
    ]);
    expect(await ids({ where: [{ path: "summary.acc", op: "=", value: Infinity }] })).toEqual([
      "r5",
    ]);
    for (const store of [sqlite, memory]) {
      await expect(
        store.listRuns({ where: [{ path: "tags", op: ">", value: "a" }] }),
      ).rejects.toThrow(/tags/);
      await expect(
        store.listRuns({ where: [{ path: "summary.acc", op: "<", value: Number.NaN }] }),
      ).rejects.toThrow(/= or != only/);
    }
  });

  it("builds a new run's record with the defaults both stores return", async () => {
    const init: RunInit = { id: "fresh", project: "p", name: "f", createdAt: 5, tags: ["a"] };
    const rec = newRunRecord(init);
    expect(rec).toEqual(await memory.createRun(init));
    expect(rec).toEqual(await sqlite.createRun(init));
    expect(newRunRecord(init, { host: "h" }).host).toBe("h");
  });
});
