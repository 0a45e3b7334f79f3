import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { tempDir } from "./fixtures.test-helpers.js";
import { importWandbRun } from "./import-run.js";
import { BLOCK_SIZE, readLogRecords } from "./leveldb-log.js";
import { field, historyRecord, msg, record, writeLog } from "./log-writer.test-helpers.js";

let dir: string;
let store: SqliteStore;
beforeEach(async () => {
  dir = tempDir();
  store = await SqliteStore.open(join(dir, "store"));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const runRecord = (id: string) =>
  record(2, 17, msg(field(1, id), field(3, "synthetic"), field(8, `name-${id}`)));

describe("synthetic .wandb logs", () => {
  it("reassembles a record spread over FIRST, MIDDLE and LAST chunks in three blocks", async () => {
    const file = join(dir, "run-big.wandb");
    const text = "x".repeat(2 * BLOCK_SIZE + 500);
    writeLog(file, [
      runRecord("big"),
      historyRecord(3, 0, { note: JSON.stringify(text), loss: "1.5" }),
      historyRecord(4, 1, { loss: "-Infinity" }),
      record(5, 18, msg(field(1, 0))),
    ]);
    const lengths: number[] = [];
    for await (const r of readLogRecords(file)) lengths.push(r.payload.length);
    expect(lengths[1]).toBeGreaterThan(2 * BLOCK_SIZE);

    const res = await importWandbRun(file, store);
    expect(res).toMatchObject({ runId: "big", steps: 2, state: "finished" });
    const rows = await store.readHistory("big");
    expect(rows[0]!.values).toEqual({ note: text, loss: 1.5 });
    expect(rows[1]!.values.loss).toBe(Number.NEGATIVE_INFINITY);
  });

  it("names a record whose bytes are not a Record, keeping the run before it", async () => {
    const file = join(dir, "run-junk.wandb");
    writeLog(file, [runRecord("junk"), historyRecord(3, 0, { a: "1" }), Uint8Array.of(0x0b, 0x01)]);
    const offsets: number[] = [];
    for await (const r of readLogRecords(file)) offsets.push(r.offset);
    const res = await importWandbRun(file, store);
    expect(res.error).toMatchObject({ code: "bad_record", offset: offsets[2] });
    expect(res.error!.message).toMatch(/not a wandb_internal.Record \(unsupported wire type 3/);
    expect(res).toMatchObject({ steps: 1, state: "crashed" });
  });

  it("drops rows whose step does not increase and counts them", async () => {
    const file = join(dir, "run-steps.wandb");
    writeLog(file, [
      runRecord("steps"),
      historyRecord(3, 2, { a: "1" }),
      historyRecord(4, 1, { a: "2" }),
      historyRecord(5, 3, { a: "3" }),
    ]);
    const res = await importWandbRun(file, store);
    expect(res).toMatchObject({ steps: 2, droppedSteps: 1 });
    expect((await store.readHistory("steps")).map((r) => r.step)).toEqual([2, 3]);
  });

  it("drops and counts a row the store cannot hold, keeping the rows around it", async () => {
    const file = join(dir, "run-refused.wandb");
    writeLog(file, [
      runRecord("refused"),
      historyRecord(3, 0, { a: "1" }),
      historyRecord(4, 1, { ["k".repeat(600)]: "1" }),
      historyRecord(5, 2, { a: "3" }),
      record(6, 18, msg(field(1, 0))),
    ]);
    const res = await importWandbRun(file, store);
    expect(res).toMatchObject({ steps: 2, droppedRows: 1, droppedSteps: 0, state: "finished" });
    expect((await store.readHistory("refused")).map((r) => r.step)).toEqual([0, 2]);
  });
});
