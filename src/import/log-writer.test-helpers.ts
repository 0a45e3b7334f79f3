/**
 * Test-only: writes small synthetic `.wandb` logs (protobuf encoding + LevelDB framing), for
 * cases the real fixtures lack (a record over several blocks, bytes that are not a record).
 */
import { writeFileSync } from "node:fs";
import { BLOCK_SIZE, crc32 } from "./leveldb-log.js";

const enc = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
}

/** A protobuf field: a number is a varint, a string or bytes length-delimited. */
export function field(no: number, value: number | string | Uint8Array): Uint8Array {
  if (typeof value === "number") return Uint8Array.from([...varint(no << 3), ...varint(value)]);
  const bytes = typeof value === "string" ? enc.encode(value) : value;
  return Uint8Array.from([...varint((no << 3) | 2), ...varint(bytes.length), ...bytes]);
}

export function msg(...fields: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(fields.reduce((s, f) => s + f.length, 0));
  let o = 0;
  for (const f of fields) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

/** A `wandb_internal.Record` with `num` and one oneof field. */
export function record(num: number, kind: number, body: Uint8Array): Uint8Array {
  return msg(field(1, num), field(kind, body));
}

export function historyRecord(
  num: number,
  step: number,
  values: Record<string, string>,
): Uint8Array {
  const items = Object.entries(values).map(([k, json]) =>
    field(1, msg(field(2, k), field(16, json))),
  );
  return record(num, 2, msg(...items, field(2, msg(field(1, step)))));
}

/** Frames `payloads` as a `.wandb` file: header, then FULL or FIRST/MIDDLE.../LAST chunks. */
export function writeLog(file: string, payloads: readonly Uint8Array[]): void {
  const parts: number[] = [0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00];
  for (const p of payloads) {
    let rest = p;
    let first = true;
    do {
      let left = BLOCK_SIZE - (parts.length % BLOCK_SIZE);
      if (left < 7) {
        for (let i = 0; i < left; i++) parts.push(0);
        left = BLOCK_SIZE;
      }
      const take = Math.min(rest.length, left - 7);
      const last = take === rest.length;
      const type = first && last ? 1 : first ? 2 : last ? 4 : 3;
      const chunk = rest.subarray(0, take);
      const crc = crc32(chunk, crc32(Uint8Array.of(type)));
      parts.push(crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24);
      parts.push(take & 0xff, take >>> 8, type, ...chunk);
      rest = rest.subarray(take);
      first = false;
    } while (rest.length > 0);
  }
  writeFileSync(file, Uint8Array.from(parts));
}
