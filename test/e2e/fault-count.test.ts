/**
 * The fault suite's counting can see what it must report: a point written twice, a wrong
 * value, a run the store never got, and every spool segment form (a cut last line is not
 * durable; a file that is not ops is reported, never silently counted as empty). Without
 * these, a suite that finds "0 lost, 0 doubled" could be blind rather than right.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { HistoryRow } from "../../src/store/types.js";
import { countStore, readSpool, size } from "./fault-count.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-fault-count-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Rows as the fault writer logs them: `a` = step, `b` = step / 4. */
function rows(from: number, to: number): HistoryRow[] {
  return Array.from({ length: to - from }, (_, i) => {
    const step = from + i;
    return { step, runtime: 0, timestamp: 0, values: { a: step, b: step / 4 } };
  });
}

it("counts a step written twice, a value never logged, and a run the store never got", async () => {
  const dir = tmp();
  const store = await SqliteStore.open(dir);
  try {
    await store.createRun({ id: "r", project: "p", name: "r", createdAt: Date.now() });
    await store.appendHistory("r", rows(0, 100));
    await store.appendHistory("r", rows(40, 50)); // an op applied twice
    await store.appendHistory("r", [{ step: 100, runtime: 0, timestamp: 0, values: { a: 7 } }]);
  } finally {
    await store.close();
  }
  const c = await countStore(dir, "r");
  expect(size(c.points)).toBe(201);
  expect(c.doubled).toBe(20);
  expect(c.wrongValue).toBe(1);
  expect(c.maxStep).toBe(100);
  const none = await countStore(dir, "never-created");
  expect(none).toMatchObject({ run: null, doubled: 0, wrongValue: 0, maxStep: -1 });
  expect(size(none.points)).toBe(0);
});

it("reads .jsonl and .json segments, leaves out a cut last line, reports what is not ops", () => {
  const dir = tmp();
  const folder = join(dir, "spool", "r~w1");
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "meta.json"), JSON.stringify({ runId: "r" }));
  writeFileSync(join(folder, "lock"), "{}");
  const create = { seq: 1, type: "create", run: { project: "p" } };
  const hist = { seq: 2, type: "history", rows: rows(0, 3) };
  const cols = {
    seq: 3,
    type: "history_cols",
    cols: {
      steps: [3, 4, 5],
      runtimes: [0, 0, 0],
      timestamps: [0, 0, 0],
      columns: { a: { values: [3, 4, 5] }, b: { rows: [1], values: [1] } },
      others: [],
    },
  };
  const cut = JSON.stringify({ seq: 4, type: "history", rows: rows(6, 9) }).slice(0, 40);
  const lines = [create, hist, cols].map((op) => JSON.stringify(op)).join("\n");
  writeFileSync(join(folder, "000000000001.jsonl"), `${lines}\n${cut}`);
  const old = [{ seq: 5, type: "history", rows: rows(10, 12) }];
  writeFileSync(join(folder, "000000000005.json"), JSON.stringify(old));
  writeFileSync(join(folder, "000000000007.jsonl"), "not json\n");
  // Another run's spool is not this run's.
  mkdirSync(join(dir, "spool", "other~w2"));
  writeFileSync(join(dir, "spool", "other~w2", "000000000001.jsonl"), `${JSON.stringify(hist)}\n`);

  const s = readSpool(dir, "r");
  expect(s.files).toBe(2);
  expect(s.torn).toBe(1);
  expect(s.unreadable).toEqual([join("r~w1", "000000000007.jsonl")]);
  expect([...s.points.get("a")!].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 10, 11]);
  expect([...s.points.get("b")!].sort((x, y) => x - y)).toEqual([0, 1, 2, 4, 10, 11]);
});
