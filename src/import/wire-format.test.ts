import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WandbImportError } from "./errors.js";
import { findWandbRunFiles } from "./find-runs.js";
import { FIXTURES, tempDir } from "./fixtures.test-helpers.js";
import { crc32 } from "./leveldb-log.js";
import { Message, ProtobufError } from "./protobuf.js";
import { parseWandbJson } from "./wandb-json.js";

describe("crc32", () => {
  it("is zlib's CRC-32 (check value of '123456789')", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    // Continuing from a previous CRC equals one pass over the joined bytes.
    const enc = new TextEncoder();
    expect(crc32(enc.encode("6789"), crc32(enc.encode("12345")))).toBe(0xcbf43926);
    // An empty input leaves the CRC as it was (an empty FULL chunk's CRC is its type byte's).
    expect(crc32(new Uint8Array(new ArrayBuffer(0)), 0xa505df1b)).toBe(0xa505df1b);
  });
});

describe("protobuf wire format", () => {
  it("reads varints (incl. negative int64), doubles, strings and nested messages", () => {
    const bytes = Uint8Array.from([
      0x08,
      0x96,
      0x01, // field 1 varint 150
      0x10,
      ...[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // field 2 varint -2
      0x19,
      ...new Uint8Array(new Float64Array([2.5]).buffer), // field 3 fixed64 2.5
      0x22,
      0x02,
      0x68,
      0x69, // field 4 "hi"
      0x2a,
      0x02,
      0x08,
      0x07, // field 5 { 1: 7 }
      0x22,
      0x01,
      0x21, // field 4 again "!" (repeated)
    ]);
    const m = new Message(bytes);
    expect(m.int(1)).toBe(150);
    expect(m.int(2)).toBe(-2);
    expect(m.double(3)).toBe(2.5);
    expect(m.strings(4)).toEqual(["hi", "!"]);
    expect(m.string(4)).toBe("!");
    expect(m.message(5)!.int(1)).toBe(7);
    expect(m.string(9)).toBeUndefined();
  });

  it("rejects a length that runs past the end and an unknown wire type", () => {
    expect(() => new Message(Uint8Array.from([0x22, 0x05, 0x68]))).toThrow(ProtobufError);
    expect(() => new Message(Uint8Array.from([0x0b]))).toThrow(/wire type 3/);
  });
});

describe("parseWandbJson", () => {
  it("reads Python's NaN and Infinity tokens but leaves them alone inside strings", () => {
    expect(parseWandbJson("NaN")).toBeNaN();
    expect(parseWandbJson("-Infinity")).toBe(Number.NEGATIVE_INFINITY);
    expect(parseWandbJson('{"a":[NaN,Infinity],"s":"NaN \\" Infinity"}')).toEqual({
      a: [Number.NaN, Number.POSITIVE_INFINITY],
      s: 'NaN " Infinity',
    });
    expect(() => parseWandbJson("{nope")).toThrow(SyntaxError);
    // The plain-number fast path agrees with JSON, and leaves what is not a number to JSON.
    for (const t of ["0", "-0.5", "1.7964261419794936e+09", "1152921504606846977", "-1e-7"]) {
      expect(parseWandbJson(t)).toBe(JSON.parse(t));
    }
    expect(parseWandbJson("Infinity")).toBe(Number.POSITIVE_INFINITY);
    expect(() => parseWandbJson("-5x")).toThrow(SyntaxError);
    expect(parseWandbJson("[1,NaN]")).toEqual([1, Number.NaN]);
  });
});

describe("findWandbRunFiles", () => {
  const wandbDir = join(FIXTURES, "wandb");

  it("finds every run under a wandb/ folder, its parent, or one run folder", async () => {
    const all = await findWandbRunFiles([wandbDir]);
    expect(all.map((f) => f.split("/").at(-1))).toEqual([
      "run-longrun0.wandb",
      "run-rulesrun.wandb",
      "run-seedrun0.wandb",
    ]);
    expect(await findWandbRunFiles([FIXTURES])).toEqual(all);
    const one = join(wandbDir, "offline-run-20261201_001234-seedrun0");
    expect(await findWandbRunFiles([one, all[2]!])).toEqual([all[2]]);
  });

  it("does not follow latest-run links (no run twice) and names a path without runs", async () => {
    const dir = tempDir();
    try {
      const run = join(dir, "wandb", "offline-run-x-abc");
      mkdirSync(run, { recursive: true });
      writeFileSync(join(run, "run-abc.wandb"), "");
      symlinkSync(run, join(dir, "wandb", "latest-run"));
      expect(await findWandbRunFiles([dir])).toEqual([join(run, "run-abc.wandb")]);
      mkdirSync(join(dir, "empty"));
      await expect(findWandbRunFiles([join(dir, "empty")])).rejects.toThrow(WandbImportError);
      await expect(findWandbRunFiles([join(dir, "missing")])).rejects.toThrow(
        /no such file or folder: .*missing/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
