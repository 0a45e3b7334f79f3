import { copyFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { WandbLogError } from "./errors.js";
import { fixtureRun, tempDir } from "./fixtures.test-helpers.js";
import { importWandbRun } from "./import-run.js";
import { BLOCK_SIZE, readLogRecords } from "./leveldb-log.js";
import { readWandbLog } from "./read-wandb-log.js";

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

/** Offsets of every record of a log (read from the intact fixture). */
async function recordOffsets(file: string): Promise<number[]> {
  const out: number[] = [];
  for await (const r of readLogRecords(file)) out.push(r.offset);
  return out;
}

function copyOf(id: string): string {
  const file = join(dir, `run-${id}.wandb`);
  copyFileSync(fixtureRun(id), file);
  return file;
}

function flipByte(file: string, at: number): void {
  const bytes = readFileSync(file);
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(file, bytes);
}

describe("a damaged .wandb log", () => {
  it("names the file and offset of a chunk whose CRC fails, keeping the records before it", async () => {
    const file = copyOf("seedrun0");
    const offsets = await recordOffsets(file);
    // Records: header, run, files, telemetry, then (summary, summary, history) per step, so
    // record 20 (num 21, a summary of step 5) comes right after the history row of step 4.
    const bad = offsets[20]!;
    flipByte(file, bad + 7 + 5);

    const seen: number[] = [];
    const read = async () => {
      for await (const rec of readWandbLog(file)) seen.push(rec.offset);
    };
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WandbLogError);
    expect(err).toMatchObject({ code: "crc_mismatch", file, offset: bad });
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain(`at byte ${bad}`);
    expect(seen).toEqual(offsets.slice(0, 20));

    const res = await importWandbRun(file, store);
    expect(res.error).toMatchObject({ code: "crc_mismatch", offset: bad });
    expect(res).toMatchObject({ status: "imported", steps: 5, state: "crashed" });
    const run = (await store.getRun("seedrun0"))!;
    expect(run).toMatchObject({ name: "trial-0", state: "crashed", exitCode: null });
    expect(run.config).toEqual({ x: 1, y: 2, z: 3 });
    expect((await store.readHistory("seedrun0")).map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
  });

  it("finds a flipped byte deep in a long log and keeps the thousands of steps before it", async () => {
    const file = copyOf("longrun0");
    const offsets = await recordOffsets(file);
    const bad = offsets.find((o) => o > 20 * BLOCK_SIZE)!;
    flipByte(file, bad + 9);
    const res = await importWandbRun(file, store);
    expect(res.error).toMatchObject({ code: "crc_mismatch", offset: bad });
    expect(res.steps).toBeGreaterThan(1000);
    const rows = await store.readHistory("longrun0");
    expect(rows).toHaveLength(res.steps);
    expect(rows.at(-1)!.step).toBe(res.steps - 1);
  });

  it("reports a file cut off mid-record as truncated, keeping what came before", async () => {
    const file = copyOf("longrun0");
    const cut = 3 * BLOCK_SIZE + 1000;
    truncateSync(file, cut);
    const res = await importWandbRun(file, store);
    expect(res.error).toBeInstanceOf(WandbLogError);
    expect(res.error!.code).toBe("truncated");
    expect(res.error!.offset).toBeLessThan(cut);
    expect(res.error!.message).toContain(file);
    expect(res.steps).toBeGreaterThan(100);
    expect((await store.getRun("longrun0"))!.state).toBe("crashed");
    expect(await store.readHistory("longrun0")).toHaveLength(res.steps);
  });

  it("reports a record cut inside its FIRST..LAST chunks at a block edge", async () => {
    const file = copyOf("longrun0");
    // A record that starts in block 1 and ends in block 2 is split into FIRST + LAST chunks.
    const offsets = await recordOffsets(file);
    const spanning = offsets.filter((o) => o < 2 * BLOCK_SIZE).at(-1)!;
    truncateSync(file, 2 * BLOCK_SIZE);
    const err = await (async () => {
      for await (const _ of readWandbLog(file)) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "truncated", offset: spanning });
  });

  it("imports a log that ends cleanly before its exit record as a crashed run", async () => {
    const file = copyOf("seedrun0");
    const offsets = await recordOffsets(file);
    // Cut right before record 15: the history rows of steps 0, 1, 2 (records 6, 9, 12) are whole.
    truncateSync(file, offsets[15]!);
    const res = await importWandbRun(file, store);
    expect(res.error).toBeUndefined();
    expect(res).toMatchObject({ steps: 3, state: "crashed" });
  });

  it("rejects a file that is not a W&B log without creating a run", async () => {
    const file = join(dir, "run-nope.wandb");
    writeFileSync(file, "hello, not a log");
    const err = await importWandbRun(file, store).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "WandbLogError", code: "bad_header", offset: 0 });
    expect((await store.listRuns()).total).toBe(0);
  });
});
