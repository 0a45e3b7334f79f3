import { createHash } from "node:crypto";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../import/fixtures.test-helpers.js";
import { BLOCK_SIZE, readLogRecords } from "../import/leveldb-log.js";
import { WandbLogWriter } from "./leveldb-writer.js";

let dir: string;
beforeEach(() => {
  dir = tempDir("amltk-log-writer-");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** sha256 of each record read back (deep equality of megabyte arrays is slow in vitest). */
async function readBack(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readLogRecords(file)) out.push(digest(r.payload));
  return out;
}

const digest = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe("WandbLogWriter", () => {
  it("frames records that end 0 to 7 bytes before a block edge (zero-padded tails) and reads back", async () => {
    const file = join(dir, "edges.wandb");
    const log = new WandbLogWriter(file);
    const written: Uint8Array[] = [];
    // Each record is one FULL chunk that ends `gap` bytes before its block's end: under 7
    // bytes the writer pads the tail with zeros, at 7 it writes an empty FIRST chunk there.
    let pos = 7; // after the file header
    for (let gap = 0; gap <= 7; gap++) {
      const blockEnd = (Math.floor(pos / BLOCK_SIZE) + 1) * BLOCK_SIZE;
      const payload = bytes(blockEnd - gap - pos - 7, gap);
      written.push(payload);
      log.append(payload);
      pos = gap < 7 ? blockEnd : blockEnd - gap;
    }
    const tail = bytes(100, 99); // after the 7-byte gap: an empty FIRST chunk, then its LAST
    written.push(tail);
    log.append(tail);
    log.close();
    expect(await readBack(file)).toEqual(written.map(digest));
  });

  it("splits a record over several blocks (FIRST, MIDDLE, LAST) and buffers past 1 MiB", async () => {
    const file = join(dir, "big.wandb");
    const log = new WandbLogWriter(file);
    const written = [bytes(3 * BLOCK_SIZE + 11, 1), bytes(5, 2), bytes(2 << 20, 3), bytes(0, 4)];
    for (const p of written) log.append(p);
    log.close();
    expect(statSync(file).size).toBeGreaterThan(2 << 20);
    expect(await readBack(file)).toEqual(written.map(digest));
    expect(readFileSync(file).subarray(0, 7)).toEqual(
      Buffer.from([0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00]),
    );
    expect(() => log.append(bytes(1, 0))).toThrow(/closed/);
  });
});
