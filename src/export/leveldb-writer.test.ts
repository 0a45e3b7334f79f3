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
    // After the 7-byte file header, a FULL chunk of n bytes ends at 14 + n: sizes that leave
    // 0..7 bytes in the first block, then the same against later blocks.
    for (let gap = 0; gap <= 7; gap++) {
      const used = written.reduce((s, p) => s + p.length + 7, 7) % BLOCK_SIZE;
      const payload = bytes(BLOCK_SIZE - used - 7 - gap, gap);
      written.push(payload);
      log.append(payload);
    }
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
