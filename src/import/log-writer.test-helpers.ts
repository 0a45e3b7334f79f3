/**
 * Test-only: small synthetic `.wandb` logs (hand-encoded records, framed by the export's
 * writer), for cases the real fixtures lack (a record over several blocks, bytes that are not
 * a record, a key the store refuses).
 */
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { WandbLogWriter } from "../export/leveldb-writer.js";

/** A protobuf field: a number is a varint (0 written too), a string or bytes length-delimited. */
export function field(no: number, value: number | string | Uint8Array): Uint8Array {
  const w = new BinaryWriter();
  if (typeof value === "number") w.tag(no, WireType.Varint).int64(value);
  else if (typeof value === "string") w.tag(no, WireType.LengthDelimited).string(value);
  else w.tag(no, WireType.LengthDelimited).bytes(value);
  return w.finish();
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

/** Frames `payloads` as a `.wandb` file with the product's writer (`src/export/leveldb-writer.ts`). */
export function writeLog(file: string, payloads: readonly Uint8Array[]): void {
  const log = new WandbLogWriter(file);
  for (const p of payloads) log.append(p);
  log.close();
}
